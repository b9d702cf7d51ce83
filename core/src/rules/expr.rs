//! The small, safe expression language of threshold rules (DHIS2-style
//! `left ⟨op⟩ right`): numbers, `+ - * /`, parentheses and a fixed set of functions of
//! the unit being checked. No variables, loops or side effects; every parse error names
//! its column.
//!
//! Functions (over the unit's subtree and the rule's period):
//! * `activities("visit")`, `activities("meeting", "联络员会议")` — activities recorded;
//! * `residents()`, `migrants()` — minority residents living there at the period's end;
//! * `flagged("hardship")` — residents carrying a flag during the period;
//! * `findings("R6")`, `findings("R6", "late")` — findings of another rule;
//! * `compliance("R6")` — the share of another rule's decided findings that comply;
//! * `ledger_age()` — days from the last change to the ledger to the period's end;
//! * `days()` — days in the period; `min(a, b)`, `max(a, b)`.
//!
//! A value that cannot be known (a share of nothing, a division by zero) is "no data";
//! a rule comparing it is not applicable rather than met or breached.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=", alias = "≤")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=", alias = "≥")]
    Ge,
    /// `==`
    #[serde(rename = "==", alias = "=")]
    Eq,
    /// `!=`
    #[serde(rename = "!=", alias = "≠")]
    Ne,
}

impl CmpOp {
    /// Applies the comparison.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => (a - b).abs() < 1e-9,
            CmpOp::Ne => (a - b).abs() >= 1e-9,
        }
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "≤",
            CmpOp::Gt => ">",
            CmpOp::Ge => "≥",
            CmpOp::Eq => "=",
            CmpOp::Ne => "≠",
        }
    }
}

/// A function of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Activities,
    Residents,
    Migrants,
    Flagged,
    Findings,
    Compliance,
    LedgerAge,
    Days,
    Min,
    Max,
}

impl Func {
    /// (name, function, string arguments allowed min..=max, numeric arguments).
    const ALL: &'static [(&'static str, Func, usize, usize, usize)] = &[
        ("activities", Func::Activities, 1, 2, 0),
        ("residents", Func::Residents, 0, 0, 0),
        ("migrants", Func::Migrants, 0, 0, 0),
        ("flagged", Func::Flagged, 1, 1, 0),
        ("findings", Func::Findings, 1, 2, 0),
        ("compliance", Func::Compliance, 1, 1, 0),
        ("ledger_age", Func::LedgerAge, 0, 0, 0),
        ("days", Func::Days, 0, 0, 0),
        ("min", Func::Min, 0, 0, 2),
        ("max", Func::Max, 0, 0, 2),
    ];
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Num(f64),
    Neg(Box<Expr>),
    Bin(char, Box<Expr>, Box<Expr>),
    /// A function with its text arguments or its numeric ones.
    Call(Func, Vec<String>, Vec<Expr>),
}

/// What expressions are evaluated against: one unit, one period.
pub(crate) trait Env {
    fn call(&self, f: Func, args: &[String]) -> Option<f64>;
}

impl Expr {
    /// The value, or `None` for "no data".
    pub(crate) fn eval(&self, env: &dyn Env) -> Option<f64> {
        match self {
            Expr::Num(x) => Some(*x),
            Expr::Neg(e) => e.eval(env).map(|x| -x),
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(env)?, b.eval(env)?);
                match op {
                    '+' => Some(a + b),
                    '-' => Some(a - b),
                    '*' => Some(a * b),
                    _ if b == 0.0 => None,
                    _ => Some(a / b),
                }
            }
            Expr::Call(Func::Min, _, xs) => Some(xs[0].eval(env)?.min(xs[1].eval(env)?)),
            Expr::Call(Func::Max, _, xs) => Some(xs[0].eval(env)?.max(xs[1].eval(env)?)),
            Expr::Call(f, args, _) => env.call(*f, args),
        }
    }

    /// Rule ids this expression refers to (`findings`, `compliance`).
    pub(crate) fn rule_refs(&self, out: &mut Vec<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Neg(e) => e.rule_refs(out),
            Expr::Bin(_, a, b) => {
                a.rule_refs(out);
                b.rule_refs(out);
            }
            Expr::Call(Func::Findings | Func::Compliance, args, _) => {
                out.extend(args.first().cloned())
            }
            Expr::Call(_, _, xs) => xs.iter().for_each(|x| x.rule_refs(out)),
        }
    }

    /// Whether the expression needs the ledger's last-change dates.
    pub(crate) fn uses(&self, f: Func) -> bool {
        match self {
            Expr::Num(_) => false,
            Expr::Neg(e) => e.uses(f),
            Expr::Bin(_, a, b) => a.uses(f) || b.uses(f),
            Expr::Call(g, _, xs) => *g == f || xs.iter().any(|x| x.uses(f)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Str(String),
    Sym(char),
}

fn err(col: usize, msg: impl std::fmt::Display) -> Error {
    Error::invalid("expression", format!("at column {col}: {msg}"))
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let x: f64 = s
                .parse()
                .map_err(|_| err(col, format!("{s:?} is not a number")))?;
            out.push((col, Tok::Num(x)));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((col, Tok::Ident(chars[start..i].iter().collect())));
        } else if c == '"' || c == '\'' || c == '“' || c == '‘' {
            let close = match c {
                '“' => '”',
                '‘' => '’',
                q => q,
            };
            let start = i + 1;
            i = start;
            while i < chars.len() && chars[i] != close {
                i += 1;
            }
            if i == chars.len() {
                return Err(err(col, "unterminated string"));
            }
            out.push((col, Tok::Str(chars[start..i].iter().collect())));
            i += 1;
        } else if "+-*/(),".contains(c) {
            out.push((col, Tok::Sym(c)));
            i += 1;
        } else if c == '（' || c == '）' || c == '，' {
            let ascii = match c {
                '（' => '(',
                '）' => ')',
                _ => ',',
            };
            out.push((col, Tok::Sym(ascii)));
            i += 1;
        } else {
            return Err(err(col, format!("unexpected character {c:?}")));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(c, _)| *c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Sym(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(err(self.col(), format!("expected '{c}' {what}")))
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr> {
        if depth > 64 {
            return Err(err(self.col(), "the expression is nested too deeply"));
        }
        let mut left = self.term(depth)?;
        loop {
            let op = match self.peek() {
                Some(Tok::Sym(c @ ('+' | '-'))) => *c,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.term(depth)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn term(&mut self, depth: usize) -> Result<Expr> {
        let mut left = self.factor(depth)?;
        loop {
            let op = match self.peek() {
                Some(Tok::Sym(c @ ('*' | '/'))) => *c,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.factor(depth)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn factor(&mut self, depth: usize) -> Result<Expr> {
        let col = self.col();
        match self.toks.get(self.pos).map(|(_, t)| t.clone()) {
            Some(Tok::Num(x)) => {
                self.pos += 1;
                Ok(Expr::Num(x))
            }
            Some(Tok::Sym('-')) => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.factor(depth + 1)?)))
            }
            Some(Tok::Sym('(')) => {
                self.pos += 1;
                let e = self.expr(depth + 1)?;
                self.expect(')', "to close '('")?;
                Ok(e)
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                let Some(&(_, f, smin, smax, nums)) =
                    Func::ALL.iter().find(|(n, ..)| *n == name.as_str())
                else {
                    let known: Vec<&str> = Func::ALL.iter().map(|(n, ..)| *n).collect();
                    return Err(err(
                        col,
                        format!("unknown function {name:?}; known: {}", known.join(", ")),
                    ));
                };
                self.expect('(', &format!("after {name}"))?;
                let mut strings = Vec::new();
                let mut exprs = Vec::new();
                if !self.eat(')') {
                    loop {
                        if nums > 0 {
                            exprs.push(self.expr(depth + 1)?);
                        } else {
                            match self.toks.get(self.pos) {
                                Some((_, Tok::Str(s))) => {
                                    strings.push(s.clone());
                                    self.pos += 1;
                                }
                                _ => {
                                    return Err(err(
                                        self.col(),
                                        format!("{name} takes quoted text arguments"),
                                    ))
                                }
                            }
                        }
                        if self.eat(')') {
                            break;
                        }
                        self.expect(',', "or ')' between arguments")?;
                    }
                }
                let n = if nums > 0 { exprs.len() } else { strings.len() };
                let (lo, hi) = if nums > 0 { (nums, nums) } else { (smin, smax) };
                if n < lo || n > hi {
                    let want = if lo == hi {
                        format!("{lo}")
                    } else {
                        format!("{lo} to {hi}")
                    };
                    return Err(err(col, format!("{name} takes {want} arguments, not {n}")));
                }
                Ok(Expr::Call(f, strings, exprs))
            }
            Some(Tok::Str(_)) => Err(err(col, "text is allowed only as a function argument")),
            Some(Tok::Sym(c)) => Err(err(col, format!("unexpected '{c}'"))),
            None => Err(err(col, "the expression ends too early")),
        }
    }
}

/// Parses an expression.
pub(crate) fn parse(text: &str) -> Result<Expr> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: text.chars().count() + 1,
    };
    let e = p.expr(0)?;
    if p.pos < p.toks.len() {
        return Err(err(p.col(), "unexpected text after the expression"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    struct Fixed;
    impl Env for Fixed {
        fn call(&self, f: Func, args: &[String]) -> Option<f64> {
            match (f, args.first().map(String::as_str)) {
                (Func::Activities, Some("visit")) => Some(8.0),
                (Func::Residents, _) => Some(10.0),
                (Func::Compliance, Some("R6")) => None,
                _ => Some(0.0),
            }
        }
    }

    #[test]
    fn evaluates_with_precedence_and_no_data() {
        let e = parse("activities('visit') / residents() * 100 - -2").unwrap();
        assert_eq!(e.eval(&Fixed), Some(82.0));
        assert_eq!(
            parse("max(1, 2 * 3) + min(4, days())")
                .unwrap()
                .eval(&Fixed),
            Some(6.0)
        );
        assert_eq!(parse("1 / (residents() - 10)").unwrap().eval(&Fixed), None);
        assert_eq!(parse("compliance(\"R6\") + 1").unwrap().eval(&Fixed), None);
        let mut refs = Vec::new();
        parse("findings('R6', 'late') + compliance('R2')")
            .unwrap()
            .rule_refs(&mut refs);
        assert_eq!(refs, ["R6", "R2"]);
    }

    #[test]
    fn parse_errors_name_the_column() {
        for (text, col, what) in [
            ("activities('visit'", 19, "expected ',' or ')'"),
            ("1 + ", 5, "ends too early"),
            ("visits('x')", 1, "unknown function"),
            ("residents(1)", 11, "quoted text"),
            ("compliance()", 1, "takes 1 arguments, not 0"),
            ("2 $ 3", 3, "unexpected character"),
            ("(1 + 2", 7, "to close"),
            ("1 2", 3, "unexpected text"),
        ] {
            let msg = parse(text).unwrap_err().to_string();
            assert!(msg.contains(&format!("column {col}")), "{text}: {msg}");
            assert!(msg.contains(what), "{text}: {msg}");
        }
    }
}
