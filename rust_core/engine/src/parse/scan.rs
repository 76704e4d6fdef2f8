//! A Python-aware line scanner that builds the *skeleton* of a file.
//!
//! tree-sitter parses about 6 MB/s on this class of machine, far too slow to
//! read every function body of 1,000 files in 30 ms. Discovery never needs
//! bodies, so this scanner tokenizes just enough of Python (strings with all
//! prefixes, f-string replacement fields, brackets, comments, backslash
//! continuations, indentation) to find logical lines, and keeps only the
//! structural ones: decorators, `def`/`class` headers and simple statements at
//! module or class level. Function bodies become `...`, other compound
//! statements become `pass`. Dropped lines keep their newline, so line numbers
//! (and the columns of kept lines) are exactly those of the original file.
//!
//! While doing so it reports the errors Python's tokenizer would report for the
//! *whole* file (unterminated strings, unbalanced brackets, bad indentation);
//! errors inside statements it drops are left to the import.

use crate::config::names::{NameRule, PYTEST_FUNCTIONS};

/// A lexical or indentation error: 1-based line and Python-like message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub line: u32,
    pub message: String,
}

/// The skeleton text and whether it holds anything worth parsing.
#[derive(Debug, Clone)]
pub struct Skeleton {
    pub text: String,
    /// False when the file has no `def`/`class` and no call at all: nothing
    /// to parse, so tree-sitter can be skipped.
    pub has_structure: bool,
    pub hidden: Vec<Hidden>,
}

/// A `def` or `class` inside a compound statement (`if`, `try`, `with`,
/// `for`...) at module level or in a class body: the skeleton drops it
/// with the block, and the walker says what it may be (a test that exists
/// only when the block runs) rather than losing it in silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    pub line: u32,
    pub name: String,
    pub is_async: bool,
    /// A `class` (else a `def`).
    pub is_class: bool,
    /// The line of the class header whose body holds the compound
    /// statement (the innermost one); None at module level.
    pub in_class: Option<u32>,
}

/// The compound statement whose block is being skipped.
struct Block {
    in_class: Option<u32>,
    /// Inside the body of a def or class of the block, at this indentation.
    body_of: Option<usize>,
}

#[derive(Debug)]
struct Logical {
    start: usize,
    /// End of the logical line (before its terminating newline).
    end: usize,
    indent: usize,
    first_line: u32,
    ends_with_colon: bool,
    /// A `:` outside brackets somewhere on the line.
    has_top_colon: bool,
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    fn err<T>(&self, line: u32, message: &str) -> Result<T, ScanError> {
        Err(ScanError {
            line,
            message: message.to_string(),
        })
    }

    /// At a quote (after any prefix): consume the whole string literal.
    fn string(&mut self, fstring: bool) -> Result<(), ScanError> {
        let s = self.s;
        let q = s[self.pos];
        let start_line = self.line;
        let triple = s.get(self.pos + 1) == Some(&q) && s.get(self.pos + 2) == Some(&q);
        self.pos += if triple { 3 } else { 1 };
        loop {
            let Some(&c) = s.get(self.pos) else {
                return self.err(
                    start_line,
                    if triple {
                        "unterminated triple-quoted string literal"
                    } else {
                        "unterminated string literal"
                    },
                );
            };
            match c {
                b'\\' => {
                    if s.get(self.pos + 1) == Some(&b'\n') {
                        self.line += 1;
                    }
                    self.pos += 2;
                }
                b'\n' => {
                    if !triple {
                        return self.err(start_line, "unterminated string literal");
                    }
                    self.line += 1;
                    self.pos += 1;
                }
                b'{' if fstring => {
                    if s.get(self.pos + 1) == Some(&b'{') {
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        self.fstring_field(triple)?;
                    }
                }
                _ if c == q => {
                    if !triple {
                        self.pos += 1;
                        return Ok(());
                    }
                    if s.get(self.pos + 1) == Some(&q) && s.get(self.pos + 2) == Some(&q) {
                        self.pos += 3;
                        return Ok(());
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Inside `{...}` of an f-string: tokens until the matching `}`.
    fn fstring_field(&mut self, triple: bool) -> Result<(), ScanError> {
        let start_line = self.line;
        let mut depth = 0usize;
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return self.err(start_line, "f-string: expecting '}'");
            };
            match c {
                b'}' if depth == 0 => {
                    self.pos += 1;
                    return Ok(());
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                }
                b'\n' => {
                    if !triple && depth == 0 {
                        return self.err(start_line, "unterminated string literal");
                    }
                    self.line += 1;
                    self.pos += 1;
                }
                b'\'' | b'"' => self.string(false)?,
                _ => {
                    if let Some(f) = self.string_prefix() {
                        self.string(f)?;
                    } else {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    /// At an identifier start: if it is a string prefix directly followed by
    /// a quote, consume the prefix and say whether it is an f/t-string.
    fn string_prefix(&mut self) -> Option<bool> {
        let s = self.s;
        let mut i = self.pos;
        let mut f = false;
        while i < s.len() && i - self.pos < 3 {
            match s[i] {
                b'r' | b'R' | b'b' | b'B' | b'u' | b'U' => {}
                b'f' | b'F' | b't' | b'T' => f = true,
                b'\'' | b'"' if i > self.pos => {
                    self.pos = i;
                    return Some(f);
                }
                _ => return None,
            }
            i += 1;
        }
        None
    }
}

/// Byte classes for identifiers, as a table: the scanner asks for every byte
/// of every file, and one load beats the chain of range tests.
const IDENT_START: u8 = 1;
const IDENT: u8 = 2;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b == b'_' || b.is_ascii_alphabetic() || b >= 0x80 {
            t[c] = IDENT_START | IDENT;
        } else if b.is_ascii_digit() {
            t[c] = IDENT;
        }
        c += 1;
    }
    t
};

#[inline]
fn is_ident_start(c: u8) -> bool {
    CLASS[c as usize] & IDENT_START != 0
}

#[inline]
fn is_ident(c: u8) -> bool {
    CLASS[c as usize] & IDENT != 0
}

/// The end of the identifier characters starting at `i`.
#[inline]
fn ident_end(s: &[u8], i: usize) -> usize {
    s[i..]
        .iter()
        .position(|&c| !is_ident(c))
        .map_or(s.len(), |n| i + n)
}

/// Split `src` into logical lines (blank and comment-only lines skipped),
/// checking strings and brackets on the way.
fn logical_lines(
    src: &[u8],
    out: &mut Vec<Logical>,
    brackets: &mut Vec<(u8, u32)>,
) -> Result<(), ScanError> {
    let mut lx = Lexer {
        s: src,
        pos: 0,
        line: 1,
    };
    if src.starts_with(b"\xEF\xBB\xBF") {
        lx.pos = 3;
    }
    out.clear();
    brackets.clear();
    while lx.pos < src.len() {
        // Indentation of a new logical line.
        let start = lx.pos;
        let mut indent = 0usize;
        while let Some(&c) = src.get(lx.pos) {
            match c {
                b' ' => indent += 1,
                b'\t' => indent = (indent / 8 + 1) * 8,
                b'\x0c' => indent = 0,
                _ => break,
            }
            lx.pos += 1;
        }
        let first_line = lx.line;
        let mut last_sig = 0u8;
        let mut any = false;
        let mut has_top_colon = false;
        while let Some(&c) = src.get(lx.pos) {
            match c {
                b'\n' => {
                    lx.line += 1;
                    lx.pos += 1;
                    if brackets.is_empty() {
                        break;
                    }
                }
                b' ' | b'\t' | b'\r' | b'\x0c' => lx.pos += 1,
                b'#' => {
                    while lx.pos < src.len() && src[lx.pos] != b'\n' {
                        lx.pos += 1;
                    }
                }
                b'\\' => {
                    let mut j = lx.pos + 1;
                    if src.get(j) == Some(&b'\r') {
                        j += 1;
                    }
                    if src.get(j) == Some(&b'\n') {
                        lx.line += 1;
                        lx.pos = j + 1;
                    } else {
                        return lx.err(
                            lx.line,
                            "unexpected character after line continuation character",
                        );
                    }
                }
                b'\'' | b'"' => {
                    lx.string(false)?;
                    any = true;
                    last_sig = b'"';
                }
                b'(' | b'[' | b'{' => {
                    brackets.push((c, lx.line));
                    lx.pos += 1;
                    any = true;
                    last_sig = c;
                }
                b')' | b']' | b'}' => {
                    let want = match c {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    match brackets.pop() {
                        Some((open, _)) if open == want => {}
                        Some((open, l)) => {
                            return lx.err(
                                lx.line,
                                &format!(
                                    "closing parenthesis '{}' does not match opening parenthesis '{}' on line {l}",
                                    c as char, open as char
                                ),
                            )
                        }
                        None => {
                            return lx.err(lx.line, &format!("unmatched '{}'", c as char))
                        }
                    }
                    lx.pos += 1;
                    last_sig = c;
                }
                _ if is_ident_start(c) => {
                    if let Some(f) = lx.string_prefix() {
                        lx.string(f)?;
                        last_sig = b'"';
                    } else {
                        lx.pos = ident_end(src, lx.pos);
                        last_sig = b'a';
                    }
                    any = true;
                }
                _ => {
                    if c == b':' && brackets.is_empty() {
                        has_top_colon = true;
                    }
                    lx.pos += 1;
                    any = true;
                    last_sig = c;
                }
            }
        }
        if let Some((open, l)) = brackets.last() {
            return lx.err(*l, &format!("'{}' was never closed", *open as char));
        }
        if any {
            let mut end = lx.pos;
            if end > start && src.get(end - 1) == Some(&b'\n') {
                end -= 1;
            }
            out.push(Logical {
                start,
                end,
                indent,
                first_line,
                ends_with_colon: last_sig == b':',
                has_top_colon,
            });
        }
    }
    Ok(())
}

/// The byte ranges of `src`'s logical lines (any depth, blank and
/// comment-only lines skipped), or the first lexical error: what the import
/// scan (`super::imports`) reads, since imports may sit in any block.
pub(crate) fn logical_spans(src: &[u8]) -> Result<Vec<(usize, usize)>, ScanError> {
    let (mut lines, mut brackets) = (Vec::new(), Vec::new());
    logical_lines(src, &mut lines, &mut brackets)?;
    Ok(lines.iter().map(|l| (l.start, l.end)).collect())
}

fn first_word(src: &[u8], l: &Logical) -> (&'static str, usize) {
    let mut i = l.start;
    while i < l.end && matches!(src[i], b' ' | b'\t' | b'\x0c') {
        i += 1;
    }
    if src.get(i) == Some(&b'@') {
        return ("@", i);
    }
    let w0 = i;
    while i < l.end && is_ident(src[i]) {
        i += 1;
    }
    let word = &src[w0..i];
    let kw: &'static str = match word {
        b"def" => "def",
        b"class" => "class",
        b"async" => {
            let mut j = i;
            while j < l.end && matches!(src[j], b' ' | b'\t' | b'\\' | b'\n' | b'\r') {
                j += 1;
            }
            if src[j..].starts_with(b"def") && !src.get(j + 3).is_some_and(|c| is_ident(*c)) {
                "def"
            } else {
                "compound"
            }
        }
        b"if" | b"elif" | b"else" | b"for" | b"while" | b"try" | b"except" | b"finally"
        | b"with" => "compound",
        _ => "",
    };
    (kw, w0)
}

/// The name after `def`/`class` (`w0`: where the first word starts) and
/// whether the header is `async def`.
fn header_name<'s>(src: &'s str, l: &Logical, w0: usize) -> (&'s str, bool) {
    let bytes = src.as_bytes();
    let text = &src[w0..l.end];
    let is_async = text.starts_with("async");
    let after_kw = if is_async {
        text.find("def").map_or(0, |i| i + 3)
    } else if text.starts_with("class") {
        5
    } else {
        3
    };
    let mut n0 = w0 + after_kw;
    while n0 < l.end && matches!(bytes[n0], b' ' | b'\t' | b'\\' | b'\n' | b'\r') {
        n0 += 1;
    }
    let mut n1 = n0;
    while n1 < l.end && is_ident(bytes[n1]) {
        n1 += 1;
    }
    (&src[n0..n1], is_async)
}

/// One line of a skipped compound block: a `def` or `class` header at the
/// block's own level (not inside another def's body) is noted.
fn note_hidden(src: &str, l: &Logical, b: &mut Block, hidden: &mut Vec<Hidden>) {
    if b.body_of.is_some_and(|i| l.indent > i) {
        return;
    }
    b.body_of = None;
    let (kw, w0) = first_word(src.as_bytes(), l);
    if kw != "def" && kw != "class" {
        return;
    }
    let (name, is_async) = header_name(src, l, w0);
    if name.is_empty() {
        return;
    }
    hidden.push(Hidden {
        line: l.first_line,
        name: name.to_string(),
        is_async,
        is_class: kw == "class",
        in_class: b.in_class,
    });
    b.body_of = Some(l.indent);
}

/// Buffers of [`skeleton_into`], kept from one file to the next so a
/// discovery thread allocates them once rather than per file.
#[derive(Debug, Default)]
pub struct Scratch {
    lines: Vec<Logical>,
    brackets: Vec<(u8, u32)>,
    stack: Vec<usize>,
    text: String,
    /// Class headers kept, innermost last: (indentation, line).
    classes: Vec<(usize, u32)>,
    hidden: Vec<Hidden>,
}

impl Scratch {
    /// The skeleton built by the last successful [`skeleton_into`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The defs and classes the last [`skeleton_into`] dropped with a
    /// compound statement's block.
    pub fn hidden(&self) -> &[Hidden] {
        &self.hidden
    }
}

/// Build the skeleton of `src` (by pytest's default `python_functions`),
/// or the first lexical/indentation error.
pub fn skeleton(src: &str) -> Result<Skeleton, ScanError> {
    let mut scratch = Scratch::default();
    let functions = NameRule::new(&[PYTEST_FUNCTIONS]);
    let has_structure = skeleton_into(src, &mut scratch, &functions)?;
    Ok(Skeleton {
        text: scratch.text,
        has_structure,
        hidden: scratch.hidden,
    })
}

/// [`skeleton`] into `scratch` (text in [`Scratch::text`]), keeping the
/// module-level defs `functions` (pytest's `python_functions`) may name;
/// returns `has_structure`.
pub fn skeleton_into(
    src: &str,
    scratch: &mut Scratch,
    functions: &NameRule,
) -> Result<bool, ScanError> {
    let bytes = src.as_bytes();
    let Scratch {
        lines,
        brackets,
        stack,
        text: out,
        classes,
        hidden,
    } = scratch;
    logical_lines(bytes, lines, brackets)?;
    out.clear();
    classes.clear();
    hidden.clear();
    out.reserve(src.len() / 3);
    let mut has_structure = false;
    // Python's indentation stack, checked for every logical line.
    stack.clear();
    stack.push(0);
    // Lines more indented than this are inside a dropped body.
    let mut skip_deeper: Option<usize> = None;
    // Set when the dropped body is a compound statement's block.
    let mut block: Option<Block> = None;
    let mut expect_block = false;
    let mut emitted_line = 1u32;
    let mut prev_decorator = false;
    let newline_to = |out: &mut String, emitted: &mut u32, line: u32| {
        while *emitted < line {
            out.push('\n');
            *emitted += 1;
        }
    };
    for l in lines.iter() {
        let top = *stack.last().unwrap_or(&0);
        if expect_block {
            if l.indent <= top {
                return Err(ScanError {
                    line: l.first_line,
                    message: "expected an indented block".to_string(),
                });
            }
            stack.push(l.indent);
        } else if l.indent > top {
            return Err(ScanError {
                line: l.first_line,
                message: "unexpected indent".to_string(),
            });
        } else if l.indent < top {
            while stack.last().is_some_and(|&t| t > l.indent) {
                stack.pop();
            }
            if stack.last() != Some(&l.indent) {
                return Err(ScanError {
                    line: l.first_line,
                    message: "unindent does not match any outer indentation level".to_string(),
                });
            }
        }
        expect_block = l.ends_with_colon;
        if let Some(d) = skip_deeper {
            if l.indent > d {
                if let Some(b) = block.as_mut() {
                    note_hidden(src, l, b, hidden);
                }
                continue;
            }
            skip_deeper = None;
            block = None;
        }
        while classes.last().is_some_and(|&(i, _)| i >= l.indent) {
            classes.pop();
        }
        let (kw, w0) = first_word(bytes, l);
        if (kw == "def" || kw == "class") && !l.has_top_colon {
            return Err(ScanError {
                line: l.first_line,
                message: "expected ':'".to_string(),
            });
        }
        newline_to(out, &mut emitted_line, l.first_line);
        let text = &src[l.start..l.end];
        let indent_text = &src[l.start..w0];
        let before = out.len();
        match kw {
            "def" => {
                has_structure = true;
                // Only the name matters: parameters, annotations and type
                // parameters are dropped to keep tree-sitter's input small.
                let (name, is_async) = header_name(src, l, w0);
                // A module-level helper that is neither decorated nor named
                // as a test can never be one (`load_tests` adds cases).
                let irrelevant = l.indent == 0
                    && !prev_decorator
                    && !functions.matches(name)
                    && name != "load_tests";
                if !irrelevant {
                    out.push_str(indent_text);
                    if is_async {
                        out.push_str("async ");
                    }
                    out.push_str("def ");
                    out.push_str(name);
                    out.push_str("(): ...");
                }
                if l.ends_with_colon {
                    skip_deeper = Some(l.indent);
                }
            }
            "compound" => {
                out.push_str(indent_text);
                out.push_str("pass");
                if l.ends_with_colon {
                    skip_deeper = Some(l.indent);
                    block = Some(Block {
                        in_class: classes.last().map(|&(_, line)| line),
                        body_of: None,
                    });
                }
            }
            "class" | "@" => {
                if kw == "class" {
                    has_structure = true;
                    classes.push((l.indent, l.first_line));
                }
                out.push_str(text);
            }
            _ => {
                // Simple statements: only imports, suite `tags`, pytest's
                // `pytestmark` and `__test__`, and benchmark groups say
                // anything about tests.
                let word = &text[w0 - l.start..];
                let word = &word[..word.bytes().take_while(|c| is_ident(*c)).count()];
                let group = text.contains("BenchmarkGroup");
                has_structure |= group;
                let class_level = l.indent > 0 && (word == "tags" || word == "__test__");
                // `test_x.__test__ = False` at module level takes a test out.
                let dunder_test = l.indent == 0
                    && text[w0 - l.start + word.len()..]
                        .trim_start()
                        .starts_with(".__test__");
                if word == "import"
                    || word == "from"
                    || group
                    || word == "pytestmark"
                    || class_level
                    || dunder_test
                {
                    out.push_str(text);
                } else if l.indent > 0 {
                    out.push_str(indent_text);
                    out.push_str("pass");
                }
            }
        }
        prev_decorator = kw == "@";
        emitted_line = l.first_line + out[before..].matches('\n').count() as u32;
    }
    if expect_block {
        return Err(ScanError {
            line: emitted_line.max(1),
            message: "expected an indented block".to_string(),
        });
    }
    out.push('\n');
    Ok(has_structure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sk(s: &str) -> String {
        skeleton(s).unwrap().text
    }

    #[test]
    fn bodies_are_dropped_and_lines_kept() {
        let src = "import x\n\n@test\ndef f():\n    a = 1\n    if a:\n        pass\n\nclass A:\n    tags = ['a']\n    def g(self):  # c\n        return 2\n";
        let out = sk(src);
        assert_eq!(
            out,
            "import x\n\n@test\ndef f(): ...\n\n\n\n\nclass A:\n    tags = ['a']\n    def g(): ...\n"
        );
    }

    #[test]
    fn strings_and_brackets_span_lines() {
        let src = "x = '''\ndef not_a_def():\n'''\nasync def test_f[T](\n  a,\n  b,\n) -> int:\n    pass\ny = f\"{x['k']!r:>{10}}\"\ndef test_g(): pass\nhelper = 1\ndef helper(): pass\n";
        let out = sk(src);
        // Module-level data and helpers go; the test headers keep their lines.
        assert_eq!(
            out,
            "\n\n\nasync def test_f(): ...\n\n\n\n\n\ndef test_g(): ...\n\n\n"
        );
    }

    #[test]
    fn compound_statements_become_pass() {
        let out = sk("class A:\n    if X:\n        def t(self): pass\n    else:\n        y = 1\n");
        assert_eq!(out, "class A:\n    pass\n\n    pass\n");
    }

    #[test]
    fn defs_under_blocks_are_noted() {
        let src = "if X:\n    def test_a(): pass\n    @deco\n    async  def test_b(): pass\nelse:\n    class TestC:\n        def test_in_c(self): pass\nclass K:\n    try:\n        def test_k(self):\n            def test_inner(): pass\n    except E:\n        pass\n    def test_plain(self): pass\nwith f:\n    def test_w(): pass\n";
        let s = skeleton(src).unwrap();
        let got: Vec<(u32, &str, bool, bool, Option<u32>)> = s
            .hidden
            .iter()
            .map(|h| (h.line, h.name.as_str(), h.is_async, h.is_class, h.in_class))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "test_a", false, false, None),
                (4, "test_b", true, false, None),
                (6, "TestC", false, true, None),
                (10, "test_k", false, false, Some(8)),
                (16, "test_w", false, false, None),
            ]
        );
        // The blocks themselves are still dropped.
        assert!(!s.text.contains("test_a") && s.text.contains("def test_plain"));
    }

    #[test]
    fn lexical_errors() {
        let cases = [
            ("x = 'abc\n", 1, "unterminated string literal"),
            ("x = 1\ny = \"\"\"abc\n", 2, "unterminated triple-quoted"),
            ("f(1,\n  2\n", 1, "'(' was never closed"),
            ("x = 1)\n", 1, "unmatched ')'"),
            ("x = (1]\n", 1, "does not match"),
            ("def f():\nreturn 1\n", 2, "expected an indented block"),
            ("x = 1\n    y = 2\n", 2, "unexpected indent"),
            ("if x:\n    y\n  z\n", 3, "unindent does not match"),
            ("def f():\n", 1, "expected an indented block"),
        ];
        for (src, line, msg) in cases {
            let e = skeleton(src).unwrap_err();
            assert_eq!(e.line, line, "{src:?}: {e:?}");
            assert!(e.message.contains(msg), "{src:?}: {e:?}");
        }
    }

    #[test]
    fn nested_fstring_quotes_312() {
        assert!(skeleton("x = f\"{d[\"k\"]}\"\ndef test_a(): pass\n").is_ok());
    }
}
