use std::fmt;

/// Where a value sits in the payload, built on the stack while walking it: nothing is allocated
/// unless a problem is reported. Renders as `request.details[1].answer`; the body itself is `$`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_with_dots_for_keys_and_brackets_for_indexes() {
        let root = Path::Root;
        let request = root.key("request");
        let details = request.key("details");
        let second = details.index(1);
        let answer = second.key("answer");
        assert_eq!(answer.to_string(), "request.details[1].answer");
        assert_eq!(root.key("leadID").to_string(), "leadID");
        assert_eq!(root.to_string(), "$");
    }
}
