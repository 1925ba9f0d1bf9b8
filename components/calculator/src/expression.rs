//! A small recursive-descent evaluator for arithmetic expressions.
//!
//! Grammar (usual precedence, `^` right-associative):
//! `sum := product (('+'|'-') product)*`,
//! `product := power (('*'|'/'|'%') power)*`,
//! `power := unary ('^' power)?`, `unary := '-' unary | atom`,
//! `atom := number | '(' sum ')'`.

/// Deepest nesting accepted, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Evaluates `text`, or says what is wrong with it and where.
pub fn evaluate(text: &str) -> Result<f64, String> {
    let mut parser = Parser {
        chars: text.chars().filter(|c| !c.is_whitespace()).collect(),
        pos: 0,
        depth: 0,
    };
    if parser.chars.is_empty() {
        return Err("empty expression".into());
    }
    let value = parser.sum()?;
    if let Some(c) = parser.peek() {
        return Err(format!("unexpected `{c}` at position {}", parser.pos + 1));
    }
    if !value.is_finite() {
        return Err("the result is not a finite number (division by zero?)".into());
    }
    Ok(value)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn sum(&mut self) -> Result<f64, String> {
        let mut value = self.product()?;
        loop {
            if self.eat('+') {
                value += self.product()?;
            } else if self.eat('-') {
                value -= self.product()?;
            } else {
                return Ok(value);
            }
        }
    }

    fn product(&mut self) -> Result<f64, String> {
        let mut value = self.power()?;
        loop {
            if self.eat('*') || self.eat('×') {
                value *= self.power()?;
            } else if self.eat('/') || self.eat('÷') {
                value /= self.power()?;
            } else if self.eat('%') {
                value %= self.power()?;
            } else {
                return Ok(value);
            }
        }
    }

    fn power(&mut self) -> Result<f64, String> {
        let base = self.unary()?;
        if self.eat('^') {
            let exponent = self.nested(Self::power)?;
            return Ok(base.powf(exponent));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<f64, String> {
        if self.eat('-') {
            return Ok(-self.nested(Self::unary)?);
        }
        if self.eat('+') {
            return self.nested(Self::unary);
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<f64, String> {
        if self.eat('(') {
            let value = self.nested(Self::sum)?;
            if !self.eat(')') {
                return Err(format!("missing `)` at position {}", self.pos + 1));
            }
            return Ok(value);
        }
        self.number()
    }

    /// Runs `rule` one level deeper, refusing input nested past [`MAX_DEPTH`].
    fn nested(&mut self, rule: fn(&mut Self) -> Result<f64, String>) -> Result<f64, String> {
        if self.depth == MAX_DEPTH {
            return Err(format!("expression nested deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let value = rule(self);
        self.depth -= 1;
        value
    }

    fn number(&mut self) -> Result<f64, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit() || c == '.') {
            self.pos += 1;
        }
        if start == self.pos {
            return match self.peek() {
                Some(c) => Err(format!(
                    "expected a number at position {}, found `{c}`",
                    self.pos + 1
                )),
                None => Err("expression ends where a number was expected".into()),
            };
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        digits
            .parse()
            .map_err(|_| format!("`{digits}` is not a number"))
    }
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(evaluate("2 + 3 * 4"), Ok(14.0));
        assert_eq!(evaluate("(2 + 3) * 4"), Ok(20.0));
        assert_eq!(evaluate("2 ^ 3 ^ 2"), Ok(512.0));
        assert_eq!(evaluate("10 - 4 - 3"), Ok(3.0));
        assert_eq!(evaluate("7 / 2"), Ok(3.5));
        assert_eq!(evaluate("-2 ^ 2"), Ok(4.0));
        assert_eq!(evaluate("17 % 5"), Ok(2.0));
    }

    #[test]
    fn errors_say_where() {
        assert!(evaluate("").unwrap_err().contains("empty"));
        assert!(evaluate("2 +").unwrap_err().contains("number"));
        assert!(evaluate("(1 + 2").unwrap_err().contains("missing `)`"));
        assert!(evaluate("1 / 0").unwrap_err().contains("finite"));
        assert!(evaluate("2 x 3").unwrap_err().contains("position 2"));
        assert!(evaluate("1..2").unwrap_err().contains("not a number"));
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(evaluate(&deep).unwrap_err().contains("nested"));
        assert!(
            evaluate(&"-".repeat(10_000))
                .unwrap_err()
                .contains("nested")
        );
    }
}
