use crate::{AuthError, Result};

/// A page of a list: at most `limit` items after skipping `offset`.
///
/// ```
/// use auth_core::Page;
/// let page = Page::new(Some(20), Some(40))?;
/// assert_eq!((page.limit(), page.offset()), (20, 40));
/// assert!(Page::new(Some(101), None).is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    limit: u32,
    offset: u64,
}

impl Page {
    /// The largest page size a client may ask for.
    pub const MAX_LIMIT: u32 = 100;
    /// The page size when the client asks for none.
    pub const DEFAULT_LIMIT: u32 = 50;

    /// A page from optional client values.
    ///
    /// # Errors
    /// [`AuthError::Validation`] when `limit` is 0 or over [`Page::MAX_LIMIT`], or `offset`
    /// is over `i64::MAX` (what SQL databases can take).
    pub fn new(limit: Option<u32>, offset: Option<u64>) -> Result<Self> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(AuthError::validation(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        let offset = offset.unwrap_or(0);
        if offset > i64::MAX as u64 {
            return Err(AuthError::validation("offset", "is too large"));
        }
        Ok(Self { limit, offset })
    }

    /// The maximum number of items.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// How many items to skip.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Default for Page {
    /// The first page of [`Page::DEFAULT_LIMIT`] items.
    fn default() -> Self {
        Self { limit: Self::DEFAULT_LIMIT, offset: 0 }
    }
}
