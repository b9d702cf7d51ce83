//! Small vocabularies (kinds, roles, flags …) read from English labels or Chinese terms,
//! with a `Custom` escape for the user's own terms.

/// Defines a closed vocabulary with a `Custom` escape, read from English or Chinese terms.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $en:literal, $zh:literal $(| $alias:literal)*;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A kind the user names (kept as written).
            Custom(String),
        }

        impl $name {
            /// Reads a term: the English label or any Chinese name; anything else is `Custom`.
            pub fn parse(term: &str) -> $name {
                let t = term.trim();
                $(if t.eq_ignore_ascii_case($en) || t == $zh $(|| t == $alias)* {
                    return $name::$variant;
                })*
                $name::Custom(t.to_owned())
            }

            /// The stable English label (`custom` kinds keep their own text).
            pub fn label(&self) -> &str {
                match self {
                    $($name::$variant => $en,)*
                    $name::Custom(s) => s,
                }
            }

            /// The Chinese name (`custom` kinds keep their own text).
            pub fn name_zh(&self) -> &str {
                match self {
                    $($name::$variant => $zh,)*
                    $name::Custom(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(k: $name) -> String {
                k.label().to_owned()
            }
        }
    };
}

pub(crate) use vocabulary;
