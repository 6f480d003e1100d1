//! Which rows of a long list of equal-height rows are near the screen: the slice a virtualised
//! list renders, so a list of 20 000 rows costs what the ~40 on screen cost.

use std::ops::Range;

/// Rows rendered above and below those on screen, so scrolling or tabbing a few rows on never
/// shows a gap before the next frame (and the focused row's neighbours exist).
pub const OVERSCAN: usize = 10;

/// The rows of `len` to render when the list is scrolled `scroll_top` px down a viewport
/// `viewport` px high, each row `row_px` high: those on screen and [`OVERSCAN`] either side.
pub fn rows_near_screen(scroll_top: f64, viewport: f64, row_px: f64, len: usize) -> Range<usize> {
    let on_screen_first = (scroll_top.max(0.0) / row_px).floor() as usize;
    let on_screen = (viewport.max(0.0) / row_px).ceil() as usize + 1;
    let first = on_screen_first.saturating_sub(OVERSCAN).min(len);
    let end = (on_screen_first + on_screen + OVERSCAN).min(len);
    first..end
}
