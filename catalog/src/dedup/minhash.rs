//! Text signatures: words folded (case, accents, punctuation), shingles hashed with a fixed
//! 64-bit hash, MinHash signatures and their LSH bands. Every hash here is fixed by this file,
//! not by the standard library, so keys written to the state database stay valid across builds.

/// Slots in a title signature (20 bands of 3: titles about 0.5 similar meet with p ≈ 0.93).
pub const TITLE_SLOTS: usize = 60;
/// Slots in a description signature (8 bands of 4: descriptions 0.8 similar meet with p ≈ 0.99).
pub const DESCRIPTION_SLOTS: usize = 32;
/// Rows of a title band.
pub const TITLE_BAND_ROWS: usize = 3;
/// Rows of a description band.
pub const DESCRIPTION_BAND_ROWS: usize = 4;
/// Words of a description that are shingled: the opening says what the dataset is, boilerplate
/// and long change logs follow.
pub const DESCRIPTION_WORDS: usize = 120;

/// A MinHash signature.
pub type Signature = Vec<u32>;

/// FNV-1a, 64 bits: the fixed hash of keys and shingles.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// SplitMix64's finaliser: one hash function per seed from one shingle hash.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
        'ç' => 'c',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' | 'ì' => 'i',
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ÿ' => 'y',
        'œ' => 'o',
        other => other,
    }
}

/// The words of a text: lower case, accents folded, anything not alphanumeric a separator.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(fold)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Hashed shingles of `width` consecutive words (the words themselves for shorter texts),
/// sorted and deduplicated so that two sets compare by merge.
pub fn shingles(words: &[String], width: usize) -> Vec<u64> {
    let mut hashes: Vec<u64> = if words.len() < width {
        words.iter().map(|w| fnv64(w.as_bytes())).collect()
    } else {
        words
            .windows(width)
            .map(|w| fnv64(w.join(" ").as_bytes()))
            .collect()
    };
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Title shingles: pairs of words.
pub fn title_shingles(title: &str) -> Vec<u64> {
    shingles(&words(title), 2)
}

/// Description shingles: triples of words from the opening of the text.
pub fn description_shingles(description: &str) -> Vec<u64> {
    let mut words = words(description);
    words.truncate(DESCRIPTION_WORDS);
    shingles(&words, 3)
}

/// The MinHash signature of a shingle set; `None` for an empty set.
pub fn signature(shingles: &[u64], slots: usize) -> Option<Signature> {
    if shingles.is_empty() {
        return None;
    }
    let mut signature = vec![u32::MAX; slots];
    for shingle in shingles {
        for (seed, slot) in signature.iter_mut().enumerate() {
            let value =
                (mix(shingle ^ (seed as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 32) as u32;
            *slot = (*slot).min(value);
        }
    }
    Some(signature)
}

/// The LSH band keys of a signature: one per band, the band index mixed in.
pub fn bands(signature: &[u32], rows: usize) -> impl Iterator<Item = u64> + '_ {
    signature
        .chunks(rows)
        .enumerate()
        .map(move |(band, slots)| {
            let mut bytes = Vec::with_capacity(4 * rows + 8);
            bytes.extend_from_slice(&(band as u64).to_le_bytes());
            for slot in slots {
                bytes.extend_from_slice(&slot.to_le_bytes());
            }
            fnv64(&bytes)
        })
}

/// The estimated Jaccard similarity of two signatures.
pub fn estimated_similarity(a: &[u32], b: &[u32]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len().max(1) as f64
}

/// The exact Jaccard similarity of two sorted, deduplicated shingle sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title_signature(title: &str) -> Signature {
        signature(&title_shingles(title), TITLE_SLOTS).unwrap()
    }

    #[test]
    fn close_titles_share_bands_and_distant_ones_do_not() {
        let a = title_signature(
            "Open DAMIR : base complète sur les dépenses d'assurance maladie inter régimes",
        );
        let b = title_signature(
            "Open Damir - Base complete sur les depenses d'assurance maladie inter-regimes",
        );
        let c = title_signature("Horaires des lignes TER");
        assert!(estimated_similarity(&a, &b) > 0.8);
        assert!(estimated_similarity(&a, &c) < 0.1);
        let shared = |x: &Signature, y: &Signature| {
            let y: Vec<u64> = bands(y, TITLE_BAND_ROWS).collect();
            bands(x, TITLE_BAND_ROWS)
                .filter(|band| y.contains(band))
                .count()
        };
        assert!(shared(&a, &b) > 0);
        assert_eq!(shared(&a, &c), 0);
        assert!(signature(&title_shingles("  --  "), TITLE_SLOTS).is_none());
    }

    #[test]
    fn exact_jaccard_counts_shared_shingles() {
        let a = title_shingles("Fichier des prénoms de 1900 à 2017");
        let b = title_shingles("Fichier  des prenoms de 1900 a 2019");
        // 6 bigrams each, 5 shared.
        assert!(
            (jaccard(&a, &b) - 5.0 / 7.0).abs() < 1e-9,
            "{}",
            jaccard(&a, &b)
        );
        assert_eq!(jaccard(&a, &a), 1.0);
        assert_eq!(jaccard(&[], &[]), 0.0);
    }

    #[test]
    fn hashes_are_fixed() {
        // Keys written to the state database depend on these values.
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
