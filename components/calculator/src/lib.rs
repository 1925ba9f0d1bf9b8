//! Tool `calculator`: evaluates an arithmetic expression.

mod expression;

use expression::evaluate;

struct Calculator;

/// The expression to evaluate.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Input {
    /// The expression to evaluate
    expression: String,
}

impl asterbot_sdk::Tool for Calculator {
    const NAME: &'static str = "calculator";
    const DESCRIPTION: &'static str = "Evaluates an arithmetic expression with + - * / % ^ and parentheses, e.g. `(2 + 3) * 4.5`.";
    type Args = Input;

    fn run(input: Input) -> Result<String, String> {
        evaluate(&input.expression).map(format_number)
    }
}

/// Prints whole numbers without a fractional part, others as shortest f64.
fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

asterbot_sdk::export_tool!(Calculator);

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn whole_numbers_print_without_fraction() {
        assert_eq!(format_number(42.0), "42");
        assert_eq!(format_number(-3.0), "-3");
        assert_eq!(format_number(2.5), "2.5");
    }
}
