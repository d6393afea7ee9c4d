//! Enums of enums that serialize flat: `Command::Chat(ChatCommand::AcceptChat { .. })` is
//! written `{"AcceptChat":{..}}`, exactly as when `AcceptChat` was a variant of `Command`.
//!
//! Each channel owns its commands and events in its own module (decision 0025), while the Raft
//! log, snapshots, remembered requests, forwarded writes and the public event JSON keep the one
//! flat form they always had, so nothing stored needs migrating and no client changes. Writing
//! delegates to the group's derived form. Reading takes the variant's name, finds the group that
//! has it and hands the group's derived code the rest of the input, so nothing is buffered and
//! serde's own reasons (unknown variant, missing or unknown field) reach the caller unchanged.
//!
//! A group's variant names are read from its derived `Deserialize` (the list serde passes to
//! `deserialize_enum`), so the lists cannot drift from the enums, `cfg`'d variants included.
//! Names must be unique across the groups of an enum; a test says so.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, Visitor};

/// The variant names of a derived enum: what it passes to `deserialize_enum`.
pub(crate) fn variants<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(Probe) {
        Err(Probed(Some(names))) => names,
        _ => &[],
    }
}

/// A deserializer that only records the variant names it is shown.
struct Probe;

#[derive(Debug)]
struct Probed(Option<&'static [&'static str]>);

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probing an enum's variants")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Probed(None)
    }
}

impl<'de> Deserializer<'de> for Probe {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed(None))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        Err(Probed(Some(variants)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// One variant already named, and the rest of it still in the input: what a group's derived
/// code reads as if it were the whole enum.
pub(crate) struct OneVariant<V> {
    pub(crate) name: String,
    pub(crate) rest: V,
}

impl<'de, A: de::VariantAccess<'de>> Deserializer<'de> for OneVariant<A> {
    type Error = A::Error;

    fn deserialize_any<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, V: de::VariantAccess<'de>> EnumAccess<'de> for OneVariant<V> {
    type Error = V::Error;
    type Variant = V;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, V), V::Error> {
        let name: de::value::StringDeserializer<V::Error> = self.name.into_deserializer();
        Ok((seed.deserialize(name)?, self.rest))
    }
}

/// Declares an enum whose variants each hold a group enum, with `From` each group and the flat
/// serde form described above.
macro_rules! grouped {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$group_meta:meta])* $group:ident($inner:ty), )+
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$group_meta])* $group($inner), )+
        }

        $(
            impl From<$inner> for $name {
                fn from(inner: $inner) -> $name {
                    $name::$group(inner)
                }
            }
        )+

        impl $name {
            /// Every variant name of every group, in the groups' order.
            pub fn variant_names() -> &'static [&'static str] {
                static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
                NAMES.get_or_init(|| {
                    let mut names = Vec::new();
                    $( names.extend_from_slice($crate::grouped::variants::<$inner>()); )+
                    names
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( $name::$group(inner) => inner.serialize(serializer), )+
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                struct GroupVisitor;

                impl<'de> serde::de::Visitor<'de> for GroupVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "enum {}", stringify!($name))
                    }

                    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<$name, A::Error> {
                        use serde::de::Error as _;
                        // Each group's names, read from its derived code once.
                        static GROUPS: std::sync::OnceLock<Vec<&'static [&'static str]>> = std::sync::OnceLock::new();
                        let groups = GROUPS.get_or_init(|| vec![$($crate::grouped::variants::<$inner>()),+]);
                        let (name, rest): (String, A::Variant) = data.variant()?;
                        let mut group = 0;
                        $(
                            if groups.get(group).is_some_and(|names| names.contains(&name.as_str())) {
                                let one = $crate::grouped::OneVariant { name, rest };
                                return <$inner as serde::Deserialize>::deserialize(one).map($name::$group);
                            }
                            group += 1;
                        )+
                        let _ = group;
                        Err(A::Error::unknown_variant(&name, $name::variant_names()))
                    }
                }

                deserializer.deserialize_enum(stringify!($name), $name::variant_names(), GroupVisitor)
            }
        }
    };
}
