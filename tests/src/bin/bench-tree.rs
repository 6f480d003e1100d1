//! The browser half of `scripts/bench-scale` (a benchmark, not a test): signs a user in to the app
//! at ORIGIN in headless Chromium and times the tree on /units — shown after its data arrived,
//! each filter keystroke, "Expand all" and "Collapse all", a jump to the middle — printing one
//! line per figure. Usage: bench-tree ORIGIN USERNAME PASSWORD

use std::time::Duration;

use e2e::{
    TestResult,
    browser::{Browser, login, screenshot},
    ui::wait_for_text,
};
use fantoccini::{Client, wd::TimeoutConfiguration};
use serde_json::{Value, json};

/// Times in the page from an action to (1) the end of the work it set off — a `setTimeout(0)`
/// after the action runs once every task and microtask it queued have run — and (2) the next
/// frame after that, where the result is painted. Returns `[work_ms, frame_ms, summary]`.
const TIME_ACTION: &str = r#"
const [action, argument, done] = arguments;
const summary = () => document.querySelector('[data-testid=tree-summary]')?.textContent;
const t0 = performance.now();
if (action === 'type') {
  const input = document.querySelector('[data-testid=unit-filter]');
  input.value = argument;
  input.dispatchEvent(new Event('input', { bubbles: true }));
} else if (action === 'click') {
  [...document.querySelectorAll('button')].find(b => b.textContent.trim() === argument).click();
} else if (action === 'scroll') {
  const tree = document.querySelector('[data-testid=tree]');
  tree.scrollTop = tree.scrollHeight * argument;
}
setTimeout(() => {
  const work = performance.now() - t0;
  requestAnimationFrame(() => setTimeout(() => done([work, performance.now() - t0, summary()]), 0));
}, 0);
"#;

/// Leaves for the account page, then comes back to /units through the menu (the page mounts
/// again and loads the organisation) and times from the last API answer's end (Resource Timing) to
/// the tree in the page (a MutationObserver) and to the next frame. Returns `[shown_ms, frame_ms,
/// rows]`. (Reload would not do: Leptos rebuilds the tree in place when the same data comes again.)
const TIME_OPEN: &str = r#"
const done = arguments[0];
const tree = () => document.querySelector('[data-testid=tree]');
document.querySelector('[data-testid=account-name]').click();
const away = () => tree() ? setTimeout(away, 10) : setTimeout(back, 300);
const back = () => {
  performance.clearResourceTimings();
  new MutationObserver((_, observer) => {
    const shownTree = tree();
    if (!shownTree) return;
    observer.disconnect();
    const shown = performance.now();
    requestAnimationFrame(() => setTimeout(() => {
      const arrived = Math.max(...performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/api/v1/')).map(e => e.responseEnd));
      done([shown - arrived, performance.now() - arrived, shownTree.querySelectorAll('[data-unit]').length]);
    }, 0));
  }).observe(document.body, { childList: true, subtree: true });
  document.querySelector('[data-testid=nav-units]').click();
};
away();
"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> TestResult {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [origin, username, password] = args.as_slice() else {
        return Err("usage: bench-tree ORIGIN USERNAME PASSWORD".into());
    };
    Browser::run(|client| async move {
        client.goto(&format!("{origin}/units")).await?;
        login(&client, username, password).await?;
        let total = wait_for_text(&client, "[data-testid=tree-summary]", " units.").await?;
        let units = total.trim_end_matches(" units.").to_owned();
        println!("tree of {units} units in Chromium (headless, --window-size=1280,900)");
        let timeouts = TimeoutConfiguration::new(Some(Duration::from_secs(60)), None, None);
        client.update_timeouts(timeouts).await?;

        let mut shown = Vec::new();
        for _ in 0..5 {
            let answer = client.execute_async(TIME_OPEN, Vec::new()).await?;
            shown.push(answer);
        }
        report(
            "tree shown after its data arrived (/units opened from the menu)",
            &shown,
            "rows in the page",
        );

        let mut keystrokes = Vec::new();
        for query in [
            "E",
            "En",
            "Enh",
            "Enhe",
            "Enhed",
            "Enhed ",
            "Enhed 1",
            "Enhed 12",
            "Enhed 123",
            "Enhed 1234",
            "Enhed 12",
            "Enhed",
            "",
            "9",
            "99",
            "999",
            "",
        ] {
            keystrokes.push(time(&client, "type", json!(query)).await?);
        }
        report(
            "filter keystroke (17, typing and deleting)",
            &keystrokes,
            "summary",
        );

        let expand = time(&client, "click", json!("Expand all")).await?;
        report("Expand all", &[expand], "summary");
        let middle = time(&client, "scroll", json!(0.5)).await?;
        report("scroll to the middle, all open", &[middle], "summary");
        screenshot(&client, "bench-tree-expanded").await?;
        let mut open_keystrokes = Vec::new();
        for query in ["E", "En", "Enh", ""] {
            open_keystrokes.push(time(&client, "type", json!(query)).await?);
        }
        report(
            "filter keystroke, all open (4)",
            &open_keystrokes,
            "summary",
        );
        let collapse = time(&client, "click", json!("Collapse all")).await?;
        report("Collapse all", &[collapse], "summary");
        Ok(())
    })
    .await
}

async fn time(client: &Client, action: &str, argument: Value) -> TestResult<Value> {
    Ok(client
        .execute_async(TIME_ACTION, vec![json!(action), argument])
        .await?)
}

/// One line: the median and worst of the first two numbers of each answer, and the last
/// answer's third element (what the page showed).
fn report(what: &str, answers: &[Value], third: &str) {
    let column = |n: usize| -> Vec<f64> {
        let mut values: Vec<f64> = answers.iter().filter_map(|a| a[n].as_f64()).collect();
        values.sort_by(f64::total_cmp);
        values
    };
    let (work, frame) = (column(0), column(1));
    let median = |v: &[f64]| v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    let worst = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    println!(
        "{what}: work median {:.1} ms, worst {:.1} ms; to the next frame median {:.1} ms, worst {:.1} ms ({third}: {})",
        median(&work),
        worst(&work),
        median(&frame),
        worst(&frame),
        answers.last().map(|a| a[2].to_string()).unwrap_or_default()
    );
}
