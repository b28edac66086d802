//! Enums spoken as plain words on the command line and in queries (`--kind dpo`,
//! `?format=jsonl`): one macro gives each its name and a parser whose error lists every
//! accepted word.

/// `named_values!(Type, "field", { Variant => "word", ... })`: `Type::name()` and
/// `FromStr`, failing with `CoreError::Invalid { field, .. }`.
macro_rules! named_values {
    ($ty:ident, $field:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::CoreError;

            fn from_str(text: &str) -> Result<Self, $crate::CoreError> {
                match text {
                    $($name => Ok($ty::$variant),)+
                    other => Err($crate::CoreError::invalid(
                        $field,
                        format!(
                            "expected one of {}, got `{other}`",
                            [$(concat!("`", $name, "`")),+].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}

pub(crate) use named_values;
