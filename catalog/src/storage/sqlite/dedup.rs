//! Duplicate linking's tables in SQLite (`dedup_records`, `dedup_keys`, `dedup_links`,
//! `dedup_settings`).

use super::SqliteState;
use crate::CatalogError;
use crate::storage::dedup_state::{
    ClusterAssignment, ClusteredRecord, DedupState, LinkChange, PendingRecord, StoredLink,
    StoredMember, StoredSummaries, SummaryUpsert,
};
use async_trait::async_trait;
use sqlx::Row;

/// Inserts a record's blocking keys, 200 per statement.
async fn insert_keys(
    tx: &mut sqlx::SqliteConnection,
    record: i64,
    keys: &[u64],
) -> Result<(), CatalogError> {
    for chunk in keys.chunks(200) {
        let mut builder = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT OR IGNORE INTO dedup_keys (key, record) ",
        );
        builder.push_values(chunk, |mut row, key| {
            // Keys are hashes: stored as the i64 of the same bits.
            row.push_bind(i64::from_ne_bytes(key.to_ne_bytes()))
                .push_bind(record);
        });
        builder.build().execute(&mut *tx).await?;
    }
    Ok(())
}

async fn upsert_link(
    tx: &mut sqlx::SqliteConnection,
    link: (i64, i64, f64, &str),
) -> Result<(), CatalogError> {
    let (a, b, score, evidence) = link;
    sqlx::query(
        "INSERT INTO dedup_links (a, b, score, evidence) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(a, b) DO UPDATE SET score = ?3, evidence = ?4",
    )
    .bind(a)
    .bind(b)
    .bind(score)
    .bind(evidence)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn set_cluster(
    tx: &mut sqlx::SqliteConnection,
    record: i64,
    cluster: Option<&str>,
    primary: bool,
) -> Result<(), CatalogError> {
    sqlx::query("UPDATE dedup_records SET cluster_id = ?2, is_primary = ?3 WHERE id = ?1")
        .bind(record)
        .bind(cluster)
        .bind(i64::from(primary))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Puts each record in its cluster.
async fn assign_clusters(
    tx: &mut sqlx::SqliteConnection,
    clusters: &[ClusterAssignment],
) -> Result<(), CatalogError> {
    for assignment in clusters {
        set_cluster(
            &mut *tx,
            assignment.id,
            Some(&assignment.cluster_id),
            assignment.primary,
        )
        .await?;
    }
    Ok(())
}

fn stored_link(row: &sqlx::sqlite::SqliteRow) -> StoredLink {
    StoredLink {
        a: row.get(0),
        b: row.get(1),
        score: row.get(2),
        evidence: row.get(3),
    }
}

#[async_trait]
impl DedupState for SqliteState {
    async fn dedup_pending(&self) -> Result<Vec<PendingRecord>, CatalogError> {
        let rows = sqlx::query(
            "SELECT r.graph_iri, r.dataset_iri, r.source_id, r.content_hash, d.id
             FROM records r LEFT JOIN dedup_records d ON d.graph_iri = r.graph_iri
             WHERE r.deleted = 0 AND (d.id IS NULL OR d.content_hash <> r.content_hash)",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| PendingRecord {
                graph_iri: row.get(0),
                dataset_iri: row.get(1),
                source_id: row.get(2),
                content_hash: row.get(3),
                dedup_id: row.get(4),
            })
            .collect())
    }

    async fn dedup_removed(&self) -> Result<Vec<i64>, CatalogError> {
        Ok(sqlx::query_scalar(
            "SELECT d.id FROM dedup_records d WHERE NOT EXISTS (
                 SELECT 1 FROM records r WHERE r.graph_iri = d.graph_iri AND r.deleted = 0)",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn dedup_settings(&self) -> Result<Option<String>, CatalogError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM dedup_settings WHERE name = 'settings'")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn save_dedup_settings(&self, settings: &str) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO dedup_settings (name, value) VALUES ('settings', ?1)
             ON CONFLICT(name) DO UPDATE SET value = ?1",
        )
        .bind(settings)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn dedup_record_count(&self) -> Result<i64, CatalogError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM dedup_records")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn dedup_totals(&self) -> Result<(i64, i64), CatalogError> {
        Ok(sqlx::query_as(
            "SELECT COUNT(DISTINCT cluster_id), COUNT(cluster_id) FROM dedup_records",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn store_dedup_summaries(
        &self,
        forget: &[i64],
        delete: &[i64],
        upserts: &[SummaryUpsert<'_>],
    ) -> Result<StoredSummaries, CatalogError> {
        let mut tx = self.pool.begin().await?;
        let mut stored = StoredSummaries::default();
        for &id in forget {
            let keys: Vec<i64> = sqlx::query_scalar("SELECT key FROM dedup_keys WHERE record = ?1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            stored.touched_keys.extend(
                keys.into_iter()
                    .map(|k| u64::from_ne_bytes(k.to_ne_bytes())),
            );
            let cluster: Option<String> =
                sqlx::query_scalar("SELECT cluster_id FROM dedup_records WHERE id = ?1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            stored.old_clusters.extend(cluster);
            for statement in [
                "DELETE FROM dedup_keys WHERE record = ?1",
                "DELETE FROM dedup_links WHERE a = ?1 OR b = ?1",
            ] {
                sqlx::query(statement).bind(id).execute(&mut *tx).await?;
            }
        }
        for &id in delete {
            sqlx::query("DELETE FROM dedup_records WHERE id = ?1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for upsert in upserts {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO dedup_records (graph_iri, source_id, content_hash, summary)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(graph_iri) DO UPDATE SET source_id = ?2, content_hash = ?3,
                     summary = ?4
                 RETURNING id",
            )
            .bind(upsert.graph_iri)
            .bind(upsert.source_id)
            .bind(upsert.content_hash)
            .bind(&upsert.summary)
            .fetch_one(&mut *tx)
            .await?;
            stored.ids.push(id);
            if let Some(keys) = &upsert.keys {
                insert_keys(&mut tx, id, keys).await?;
                stored.touched_keys.extend(keys.iter().copied());
            }
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn dedup_members(&self) -> Result<Vec<StoredMember>, CatalogError> {
        let rows = sqlx::query("SELECT id, summary, cluster_id FROM dedup_records ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| StoredMember {
                id: row.get(0),
                summary: row.get(1),
                cluster_id: row.get(2),
            })
            .collect())
    }

    async fn dedup_member(&self, id: i64) -> Result<Option<StoredMember>, CatalogError> {
        let row = sqlx::query("SELECT summary, cluster_id FROM dedup_records WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| StoredMember {
            id,
            summary: row.get(0),
            cluster_id: row.get(1),
        }))
    }

    async fn replace_dedup_links(
        &self,
        keys: &[(i64, Vec<u64>)],
        links: &[StoredLink],
        clusters: &[ClusterAssignment],
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        for statement in [
            "DELETE FROM dedup_keys",
            "DELETE FROM dedup_links",
            "UPDATE dedup_records SET cluster_id = NULL, is_primary = 0",
        ] {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        for (record, record_keys) in keys {
            insert_keys(&mut tx, *record, record_keys).await?;
        }
        for link in links {
            upsert_link(&mut tx, (link.a, link.b, link.score, &link.evidence)).await?;
        }
        assign_clusters(&mut tx, clusters).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn dedup_block(
        &self,
        key: u64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, CatalogError> {
        Ok(sqlx::query_as(
            "SELECT k.record, r.source_id FROM dedup_keys k
             JOIN dedup_records r ON r.id = k.record WHERE k.key = ?1 LIMIT ?2",
        )
        .bind(i64::from_ne_bytes(key.to_ne_bytes()))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn dedup_link(&self, a: i64, b: i64) -> Result<Option<(f64, String)>, CatalogError> {
        Ok(
            sqlx::query_as("SELECT score, evidence FROM dedup_links WHERE a = ?1 AND b = ?2")
                .bind(a)
                .bind(b)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn dedup_links_of(&self, id: i64) -> Result<Vec<StoredLink>, CatalogError> {
        let rows = sqlx::query(
            "SELECT a, b, score, evidence FROM dedup_links WHERE a = ?1 OR b = ?1 ORDER BY a, b",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(stored_link).collect())
    }

    async fn apply_dedup_link_changes(&self, changes: &[LinkChange]) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        for LinkChange { a, b, link } in changes {
            match link {
                Some((score, evidence)) => upsert_link(&mut tx, (*a, *b, *score, evidence)).await?,
                None => {
                    sqlx::query("DELETE FROM dedup_links WHERE a = ?1 AND b = ?2")
                        .bind(a)
                        .bind(b)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn dedup_cluster_members(&self, cluster_id: &str) -> Result<Vec<i64>, CatalogError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM dedup_records WHERE cluster_id = ?1")
                .bind(cluster_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn dedup_cluster_ids(&self) -> Result<Vec<String>, CatalogError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT cluster_id FROM dedup_records WHERE cluster_id IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn assign_dedup_clusters(
        &self,
        reset: &[i64],
        clusters: &[ClusterAssignment],
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool.begin().await?;
        for &id in reset {
            set_cluster(&mut tx, id, None, false).await?;
        }
        assign_clusters(&mut tx, clusters).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clustered_records(&self) -> Result<Vec<ClusteredRecord>, CatalogError> {
        let rows = sqlx::query(
            "SELECT id, graph_iri, cluster_id, summary, is_primary FROM dedup_records
             WHERE cluster_id IS NOT NULL ORDER BY cluster_id, is_primary DESC, graph_iri",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| ClusteredRecord {
                id: row.get(0),
                graph_iri: row.get(1),
                cluster_id: row.get(2),
                summary: row.get(3),
                primary: row.get::<i64, _>(4) != 0,
            })
            .collect())
    }

    async fn dedup_memberships(&self) -> Result<Vec<(String, String, bool)>, CatalogError> {
        let rows = sqlx::query(
            "SELECT graph_iri, cluster_id, is_primary FROM dedup_records
             WHERE cluster_id IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.get(0), row.get(1), row.get::<i64, _>(2) != 0))
            .collect())
    }
}
