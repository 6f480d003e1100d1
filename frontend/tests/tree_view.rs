//! Browser tests of the tree view on /units: only the rows near the screen are in the page, at
//! their place in the whole list, whatever the organisation's size; scrolling, "Expand all" and
//! the filter change which rows those are.

mod support;

use api::{AccountAccess, AccountRole, Me, Verdict};
use frontend::{
    components::row_window::{OVERSCAN, rows_near_screen},
    org::client::Organisation,
    pages::units::{ROW_PX, Tree},
};
use leptos::{mount::mount_to, prelude::*};
use leptos_router::components::Router;
use support::{org::unit, settle};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_window_is_the_rows_on_screen_and_a_margin() {
    // 400 px at 40 px a row: 10 rows on screen (11 when cut at both edges).
    assert_eq!(rows_near_screen(0.0, 400.0, 40.0, 1000), 0..11 + OVERSCAN);
    assert_eq!(
        rows_near_screen(4000.0, 400.0, 40.0, 1000),
        100 - OVERSCAN..111 + OVERSCAN
    );
    assert_eq!(
        rows_near_screen(4000.0, 400.0, 40.0, 105),
        90..105,
        "the end"
    );
    assert_eq!(
        rows_near_screen(9e9, 400.0, 40.0, 5),
        5..5,
        "scrolled past a list that shrank"
    );
    assert_eq!(rows_near_screen(-50.0, 0.0, 40.0, 0), 0..0);
}

/// `count` units: ten top-level ones, every other one under the unit ten before it.
fn organisation(count: u128) -> Organisation {
    let units = (0..count)
        .map(|n| {
            unit(
                n + 1,
                &format!("Unit {n:05}"),
                (n >= 10).then(|| n / 10 + 1),
                &[],
            )
        })
        .collect();
    Organisation {
        me: Me {
            username: Some("alvida".into()),
            name: None,
            email: None,
            uuid: None,
            roles: vec!["admin".into()],
            client_roles: Vec::new(),
            azp: None,
            service_account: false,
            access: AccountAccess {
                role: AccountRole::Admin,
                write: Verdict::Allowed,
                create_top_level: Verdict::Allowed,
            },
        },
        units,
        employees: Vec::new(),
    }
}

fn mounted(org: Organisation) -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = mount_to(
        root.clone(),
        move || view! { <Router><Tree org /></Router> },
    );
    std::mem::forget(handle);
    root
}

/// The rows in the page, in order.
fn row_elements(root: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    let list = root.query_selector_all("[data-unit]").unwrap();
    (0..list.length())
        .map(|n| list.item(n).unwrap().unchecked_into())
        .collect()
}

/// Each row in the page as (its place in the whole list, its unit's name).
fn rows(root: &web_sys::HtmlElement) -> Vec<(String, String)> {
    row_elements(root)
        .iter()
        .map(|row| {
            (
                row.get_attribute("aria-posinset").unwrap_or_default(),
                row.query_selector("[data-testid=tree-unit]")
                    .unwrap()
                    .and_then(|link| link.text_content())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Sends `element` an event of `kind`, as the browser would on scrolling or typing.
fn fire(element: &web_sys::EventTarget, kind: &str) {
    element
        .dispatch_event(&web_sys::Event::new(kind).unwrap())
        .unwrap();
}

fn element<T: JsCast>(root: &web_sys::HtmlElement, css: &str) -> T {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no {css}"))
        .unchecked_into()
}

#[wasm_bindgen_test]
async fn a_large_tree_puts_only_the_rows_near_the_screen_in_the_page() {
    let root = mounted(organisation(5000));
    settle().await;
    let summary = element::<web_sys::HtmlElement>(&root, "[data-testid=tree-summary]");
    assert_eq!(summary.text_content().unwrap(), "5000 units.");
    let first = element::<web_sys::Element>(&root, "[data-unit]");
    assert_eq!(
        first.get_attribute("aria-setsize").as_deref(),
        Some("100"),
        "the top level open at first: 10 units and their 90 sub-units"
    );
    assert!(
        rows(&root).len() < 100,
        "only those near the screen in the page"
    );

    let expand_all = root.query_selector_all("button").unwrap();
    let expand_all: web_sys::HtmlElement = (0..expand_all.length())
        .map(|n| {
            expand_all
                .item(n)
                .unwrap()
                .unchecked_into::<web_sys::HtmlElement>()
        })
        .find(|b| b.text_content().as_deref() == Some("Expand all"))
        .expect("Expand all");
    expand_all.click();
    settle().await;
    let shown = rows(&root);
    assert!(
        (OVERSCAN..=100).contains(&shown.len()),
        "{} rows in the page for 5000 open units",
        shown.len()
    );
    assert_eq!(shown[1], ("2".into(), "Unit 00001".into()));
    assert_eq!(shown[2], ("3".into(), "Unit 00010".into()), "depth first");
    let list = element::<web_sys::HtmlElement>(&root, "[data-unit]")
        .parent_element()
        .unwrap();
    let height = list
        .unchecked_ref::<web_sys::HtmlElement>()
        .style()
        .get_property_value("height")
        .unwrap();
    assert_eq!(height, "200000px", "room for 5000 rows");
    let first = element::<web_sys::Element>(&root, "[data-unit]");
    assert_eq!(first.get_attribute("aria-setsize").as_deref(), Some("5000"));

    // The test page has no style sheet: the scrolled box as the app's style sheet makes it.
    let scroller = element::<web_sys::HtmlElement>(&root, "[data-testid=tree]");
    scroller
        .style()
        .set_css_text("height: 400px; overflow-y: auto");
    scroller.set_scroll_top((2500 * ROW_PX) as i32);
    fire(&scroller, "scroll");
    settle().await;
    let shown = rows(&root);
    let places: Vec<usize> = shown.iter().map(|(at, _)| at.parse().unwrap()).collect();
    assert!(
        places.contains(&2501) && places.len() <= 100,
        "rows around 2501 after scrolling there: {places:?}"
    );
    assert!(
        places.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{places:?}"
    );

    let filter: web_sys::HtmlInputElement = element(&root, "[data-testid=unit-filter]");
    filter.set_value("04999");
    fire(&filter, "input");
    settle().await;
    assert_eq!(summary.text_content().unwrap(), "1 of 5000 units match.");
    let path: Vec<String> = rows(&root).into_iter().map(|(_, name)| name).collect();
    assert_eq!(
        path,
        ["Unit 00004", "Unit 00049", "Unit 00499", "Unit 04999"],
        "the match and its ancestors, from the top"
    );
    let levels: Vec<(Option<String>, Option<String>)> = row_elements(&root)
        .iter()
        .map(|row| {
            let depth = row.style().get_property_value("--depth").ok();
            (row.get_attribute("aria-level"), depth)
        })
        .collect();
    assert_eq!(
        levels,
        (0..4)
            .map(|depth| (Some(format!("{}", depth + 1)), Some(depth.to_string())))
            .collect::<Vec<_>>(),
        "each row says its level and is indented by its depth"
    );
    assert_eq!(
        scroller.scroll_top(),
        0,
        "a new filter shows its rows from the top"
    );
}
