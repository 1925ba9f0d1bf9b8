//! The served chat page in headless Chromium (Debian's `chromium`, driven
//! by playwright-core through the DevTools protocol), opened at the
//! address `asterbot serve` prints (its key in the fragment): a message
//! typed gets the scripted answer, a call that waits for approval is
//! allowed with the page's button and the approver key the page asks
//! for, and then runs, and the screenshot is not blank.

mod common;

use common::serving::Served;
use std::process::Command;

/// Node with playwright-core (`.ci/run` installs it under
/// `target/tools/node`), or `None` when the peer may be skipped.
fn node_with_playwright() -> Option<Command> {
    let modules = common::repo().join("target/tools/node/node_modules");
    if !modules.join("playwright-core").is_dir() {
        return common::peer_tool(
            "playwright-core",
            "npm install --prefix target/tools/node playwright-core",
        );
    }
    let mut node = common::peer_tool("node", "apt install nodejs")?;
    node.env("NODE_PATH", &modules);
    Some(node)
}

#[test]
fn the_chat_page_holds_a_conversation_in_headless_chromium() {
    let Some(_) = common::peer_tool("chromium", "apt install chromium") else {
        return;
    };
    let Some(mut node) = node_with_playwright() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let agent = common::serving::serve_agent();
    // No keys given: the server makes them, and prints the page's address
    // with its key, and the approver key.
    let server = Served::asterbot_keyless(agent, &["--keyvalue", "memory"]);
    let log = server.log();
    let printed = |label: &str| {
        log.lines()
            .find(|line| line.contains(label))
            .and_then(|line| line.rsplit(' ').next())
            .unwrap_or_else(|| panic!("no `{label}` line:\n{log}"))
            .to_string()
    };
    let (page, approver) = (printed("chat page:"), printed("approver key"));
    assert!(page.contains("/#key="), "{page}");

    // An ES module resolves packages from its own folder up, not from
    // NODE_PATH: run a copy beside the installed modules.
    let script = common::repo().join("target/tools/node/chat_page.mjs");
    std::fs::copy(common::repo().join("tests/browser/chat_page.mjs"), &script).unwrap();
    let screenshot = dir.path().join("page.png");
    let output = node
        .arg(&script)
        .arg(&page)
        .arg(&screenshot)
        .arg(&approver)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "reply: The answer is 42.",
            "reply: I will remember that.",
            "reply: I could not use that tool: `memory_delete` waits for a person's approval, so it was not run yet. Tell them it waits for their approval; once they have given it, call it again with the same arguments",
            "asks: The agent wants to run memory_delete with {\"name\":\"facts\"}",
            "the page asks for: An approver key decides this call (asterbot serve prints it when it starts):",
            "reply: I have forgotten it.",
            "address bar: no key",
        ]
    );
    assert_not_blank(&screenshot);
}

/// The PNG at `path` shows something: most of a blank page is one colour,
/// a page with messages has many, over a fair share of its pixels.
fn assert_not_blank(path: &std::path::Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = pixels[..info.buffer_size()].chunks(channels).collect();
    let mut counts = std::collections::HashMap::new();
    for pixel in &pixels {
        *counts.entry(&pixel[..3.min(channels)]).or_insert(0usize) += 1;
    }
    let background = counts.values().max().copied().unwrap_or(0);
    let drawn = pixels.len() - background;
    assert!(
        counts.len() > 50 && drawn * 50 > pixels.len(),
        "the screenshot looks blank: {} colours, {drawn} of {} pixels off the background",
        counts.len(),
        pixels.len()
    );
}
