//! Paging parameters (`page`, `page_size`), read the same way by every route that pages: the
//! REST search, the search page and the DCAT export. The CKAN API pages by `rows`/`start`, as
//! CKAN does.

/// A page asked for: its number (from 1) and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The page, from 1.
    pub page: usize,
    /// Results per page.
    pub size: usize,
}

impl Paging {
    /// Reads `page` and `page_size` (each absent: 1 and `default_size`), refusing what is not a
    /// positive integer and a size past `max_size`; the error is the 400's detail, naming the
    /// parameter and what it accepts.
    pub fn parse(
        page: Option<&str>,
        page_size: Option<&str>,
        default_size: usize,
        max_size: usize,
    ) -> Result<Self, String> {
        let page = positive("page", page, 1)?;
        let size = positive("page_size", page_size, default_size)?;
        if size > max_size {
            return Err(format!("page_size is at most {max_size}, not {size}"));
        }
        Ok(Self { page, size })
    }
}

/// A positive integer parameter, or `default` when absent.
fn positive(name: &str, value: Option<&str>, default: usize) -> Result<usize, String> {
    match value {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("{name} must be a positive integer, not {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_positive_and_bounded() {
        assert_eq!(
            Paging::parse(None, None, 20, 100),
            Ok(Paging { page: 1, size: 20 })
        );
        assert_eq!(
            Paging::parse(Some("3"), Some("100"), 20, 100),
            Ok(Paging { page: 3, size: 100 })
        );
        assert_eq!(
            Paging::parse(Some("0"), None, 20, 100),
            Err("page must be a positive integer, not \"0\"".into())
        );
        assert_eq!(
            Paging::parse(None, Some("101"), 20, 100),
            Err("page_size is at most 100, not 101".into())
        );
        assert!(Paging::parse(Some("-1"), None, 20, 100).is_err());
    }
}
