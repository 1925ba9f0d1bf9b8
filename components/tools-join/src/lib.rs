//! `tools-join`: two sets of tools as one. The model is told the tools of
//! `first`, then those of `rest`; each call goes to the one set that lists
//! its name, so neither set sees the other's calls, arguments or results.
//!
//! A name that both sets list is withheld from the model and its calls are
//! refused: no tool can take another's calls by claiming its name.
//! Results are capped at [`MAX_RESULT_BYTES`] here, at the first boundary
//! they cross, so one huge result is not copied through every link above.

use asterbot_sdk::worlds::tools_join::{asterbot, exports};
use named::{first, rest};

/// The imports `first` and `rest`, generated here from the `tools-join`
/// world: both joins name their imports so, and the SDK, which every
/// component links, cannot describe both (see `asterbot_sdk::worlds`).
/// Its `export!` is left unused: the SDK's export is the one used.
mod named {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tools-join",
        with: { "asterbot:agent/types@0.2.0": asterbot_sdk::types },
    });
}

use asterbot::agent::types::ToolSpec;
use asterbot_sdk::text::truncate_owned;
use std::cell::RefCell;

/// Largest result (or error) passed on, in bytes; longer ones are cut.
const MAX_RESULT_BYTES: usize = 64 * 1024;

/// Which names each set listed the last time the sets were asked.
#[derive(Default)]
struct Routes {
    first: Vec<String>,
    rest: Vec<String>,
}

thread_local! {
    static ROUTES: RefCell<Option<Routes>> = const { RefCell::new(None) };
}

/// Where a call goes.
#[derive(Debug, PartialEq)]
enum Route {
    First,
    Rest,
    /// Both sets list the name.
    Clash,
    /// Neither does.
    Nowhere,
}

impl Routes {
    fn route(&self, name: &str) -> Route {
        let has = |names: &[String]| names.iter().any(|n| n == name);
        match (has(&self.first), has(&self.rest)) {
            (true, false) => Route::First,
            (false, true) => Route::Rest,
            (true, true) => Route::Clash,
            (false, false) => Route::Nowhere,
        }
    }
}

/// Asks both sets for their tools, remembers who answers what, and
/// returns the tools the model may call.
fn refresh() -> Vec<ToolSpec> {
    let (first, rest) = (first::list(), rest::list());
    let routes = Routes {
        first: first.iter().map(|t| t.name.clone()).collect(),
        rest: rest.iter().map(|t| t.name.clone()).collect(),
    };
    let offered = first
        .into_iter()
        .chain(rest)
        .filter(|tool| routes.route(&tool.name) != Route::Clash)
        .collect();
    ROUTES.with(|cell| *cell.borrow_mut() = Some(routes));
    offered
}

fn route(name: &str) -> Route {
    let known = ROUTES.with(|cell| cell.borrow().as_ref().map(|routes| routes.route(name)));
    match known {
        Some(Route::Nowhere) | None => {
            // Never listed, or the sets changed since: ask them again.
            refresh();
            ROUTES.with(|cell| {
                cell.borrow()
                    .as_ref()
                    .map_or(Route::Nowhere, |routes| routes.route(name))
            })
        }
        Some(route) => route,
    }
}

struct Join;

impl exports::asterbot::agent::tools::Guest for Join {
    fn list() -> Vec<ToolSpec> {
        refresh()
    }

    fn call(name: String, arguments: String) -> Result<String, String> {
        let result = match route(&name) {
            Route::First => first::call(&name, &arguments),
            Route::Rest => rest::call(&name, &arguments),
            Route::Clash => Err(format!(
                "two tools are named `{name}`, so neither was run; the recipe must leave one out"
            )),
            Route::Nowhere => Err(asterbot_sdk::chain::unknown_tool(&name)),
        };
        result
            .map(|text| truncate_owned(text, MAX_RESULT_BYTES))
            .map_err(|text| truncate_owned(text, MAX_RESULT_BYTES))
    }
}

asterbot_sdk::export_tools_join_world!(Join);

#[cfg(test)]
mod tests {
    use super::{Route, Routes};

    #[test]
    fn a_call_goes_to_the_one_set_that_lists_it() {
        let routes = Routes {
            first: vec!["clock".into(), "memory_write".into()],
            rest: vec!["calculator".into(), "memory_write".into()],
        };
        assert_eq!(routes.route("clock"), Route::First);
        assert_eq!(routes.route("calculator"), Route::Rest);
        assert_eq!(routes.route("memory_write"), Route::Clash);
        assert_eq!(routes.route("dice"), Route::Nowhere);
    }
}
