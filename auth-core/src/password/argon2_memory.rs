//! Reuse of Argon2 working memory.
//!
//! Allocating Argon2's memory (19 MiB at the defaults) for every hash costs more than a third
//! of the hash: fresh pages fault in one by one. The pool keeps at most one buffer per
//! hashing permit, sized for the configured parameters, so memory stays bounded by
//! `permits × m_cost` however many blocking threads tokio has used. A buffer is wiped
//! (zeroized) as soon as a hash is done with it, before it goes back to the pool.

use std::sync::Mutex;

use argon2::Block;
use zeroize::Zeroize;

/// Pooled Argon2 block buffers. See the module docs.
#[derive(Debug)]
pub(crate) struct BlockPool {
    buffers: Mutex<Vec<Vec<Block>>>,
    /// Size (in blocks) of the buffers worth keeping: the configured parameters'.
    keep_blocks: usize,
    /// How many buffers to keep at most (the number of hashing permits).
    max_kept: usize,
}

impl BlockPool {
    pub(crate) fn new(keep_blocks: usize, max_kept: usize) -> Self {
        Self { buffers: Mutex::new(Vec::with_capacity(max_kept)), keep_blocks, max_kept }
    }

    /// Runs `f` with at least `blocks` blocks of working memory, then wipes the memory and
    /// keeps it for the next call if it has the configured size.
    pub(crate) fn with_blocks<T>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let mut buf = if blocks == self.keep_blocks {
            self.lock().pop().unwrap_or_default()
        } else {
            Vec::new()
        };
        if buf.len() != blocks {
            buf = vec![Block::new(); blocks];
        }
        let out = f(&mut buf);
        buf.iter_mut().for_each(Zeroize::zeroize);
        if blocks == self.keep_blocks {
            let mut kept = self.lock();
            if kept.len() < self.max_kept {
                kept.push(buf);
            }
        }
        out
    }

    /// How many buffers are pooled now.
    #[cfg(test)]
    pub(crate) fn pooled(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        self.buffers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_wiped_and_reused_up_to_the_limit() {
        let pool = BlockPool::new(16, 1);
        pool.with_blocks(16, |b| {
            assert_eq!(b.len(), 16);
            b[3].as_mut().fill(7);
        });
        assert_eq!(pool.pooled(), 1);
        pool.with_blocks(16, |b| {
            assert!(b.iter().all(|blk| blk.as_ref().iter().all(|w| *w == 0)), "wiped");
        });
        // Odd sizes are not kept.
        pool.with_blocks(32, |b| assert_eq!(b.len(), 32));
        assert_eq!(pool.pooled(), 1);
    }
}
