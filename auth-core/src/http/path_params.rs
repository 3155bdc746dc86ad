//! Path parameters (`/tasks/{id}`) as typed values, with a 422 that names the parameter and
//! the kind of value it must be (`id: must be a valid integer`).
//!
//! The routers of both frameworks hand over the matched `(name, value)` pairs; this
//! deserializer knows which type is asked for because serde asks for it (`deserialize_i64`
//! is an integer), so no error text and no Rust type name is ever parsed.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::ErrorResponse;

/// The path parameters `params` (name, percent-decoded value) as a `T`: a struct with a
/// field per parameter, a tuple in their order, or one value when there is one parameter.
///
/// ```
/// use auth_core::http::decode_path;
/// #[derive(Debug, serde::Deserialize)]
/// struct IdPath { id: i64 }
/// assert_eq!(decode_path::<IdPath>(&[("id", "7")]).unwrap().id, 7);
/// let e = decode_path::<IdPath>(&[("id", "abc")]).unwrap_err();
/// assert_eq!((e.status, e.body.detail.as_str()), (422, "id: must be a valid integer"));
/// assert_eq!(decode_path::<String>(&[("file", "a/b.css")]).unwrap(), "a/b.css");
/// ```
///
/// # Errors
/// 422 `validation_error` naming the parameter; 500 when the route has no parameter the
/// type needs (the route and the handler disagree, which is logged).
pub fn decode_path<T: DeserializeOwned>(params: &[(&str, &str)]) -> Result<T, ErrorResponse> {
    T::deserialize(Params(params)).map_err(|e| match e {
        ParamError::Invalid { name, expected } => {
            let name = name.as_deref().unwrap_or("path");
            ErrorResponse::validation(name, format!("must be a valid {expected}"))
        }
        ParamError::Other { name, message } => {
            ErrorResponse::validation(name.as_deref().unwrap_or("path"), message)
        }
        ParamError::Missing(message) => {
            tracing::error!(error = %message, "path parameters missing: route and handler disagree");
            ErrorResponse::internal()
        }
    })
}

/// Why path parameters did not fit the type.
#[derive(Debug)]
enum ParamError {
    /// A value that does not parse as the kind asked for.
    Invalid { name: Option<String>, expected: &'static str },
    /// Any other refusal (an unknown enum variant, a custom check).
    Other { name: Option<String>, message: String },
    /// The type wants a parameter the route does not have.
    Missing(String),
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { expected, .. } => write!(f, "must be a valid {expected}"),
            Self::Other { message, .. } | Self::Missing(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ParamError {}

impl de::Error for ParamError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        Self::Other { name: None, message: message.to_string() }
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Missing(format!("no path parameter {field:?}"))
    }
}

impl ParamError {
    /// The error with the parameter's name, when it has none yet.
    fn at(self, param: &str) -> Self {
        match self {
            Self::Other { name: None, message } => {
                Self::Other { name: Some(param.to_owned()), message }
            }
            other => other,
        }
    }
}

/// Every parameter of a route.
struct Params<'a>(&'a [(&'a str, &'a str)]);

/// One parameter's value; `name` is `None` when the whole path is one value.
struct Param<'a> {
    name: Option<&'a str>,
    value: &'a str,
}

impl<'a> Param<'a> {
    fn parse<T: std::str::FromStr>(&self, expected: &'static str) -> Result<T, ParamError> {
        self.value
            .parse()
            .map_err(|_| ParamError::Invalid { name: self.name.map(str::to_owned), expected })
    }
}

macro_rules! parse_as {
    ($($method:ident => $visit:ident, $ty:ty, $expected:literal;)*) => {
        $(fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ParamError> {
            v.$visit(self.parse::<$ty>($expected)?)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Param<'de> {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ParamError> {
        v.visit_borrowed_str(self.value)
    }

    parse_as! {
        deserialize_bool => visit_bool, bool, "boolean";
        deserialize_i8 => visit_i8, i8, "integer";
        deserialize_i16 => visit_i16, i16, "integer";
        deserialize_i32 => visit_i32, i32, "integer";
        deserialize_i64 => visit_i64, i64, "integer";
        deserialize_i128 => visit_i128, i128, "integer";
        deserialize_u8 => visit_u8, u8, "integer";
        deserialize_u16 => visit_u16, u16, "integer";
        deserialize_u32 => visit_u32, u32, "integer";
        deserialize_u64 => visit_u64, u64, "integer";
        deserialize_u128 => visit_u128, u128, "integer";
        deserialize_f32 => visit_f32, f32, "number";
        deserialize_f64 => visit_f64, f64, "number";
        deserialize_char => visit_char, char, "character";
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ParamError> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, ParamError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ParamError> {
        let name = self.name;
        v.visit_enum(self.value.into_deserializer()).map_err(|e: ParamError| match name {
            Some(n) => e.at(n),
            None => e,
        })
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

impl<'a> Params<'a> {
    /// The one parameter, for a type that is a single value.
    fn only(&self) -> Result<Param<'a>, ParamError> {
        match self.0 {
            [(_, value)] => Ok(Param { name: None, value }),
            _ => Err(ParamError::Missing(format!(
                "expected one path parameter, the route has {}",
                self.0.len()
            ))),
        }
    }
}

macro_rules! ask_the_only_param {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ParamError> {
            self.only()?.$method(v)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Params<'de> {
    type Error = ParamError;

    ask_the_only_param! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_identifier
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ParamError> {
        self.only()?.deserialize_enum(name, variants, v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ParamError> {
        v.visit_map(ParamMap { params: self.0.iter(), value: None })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_map(v)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ParamError> {
        v.visit_seq(ParamSeq(self.0.iter()))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, ParamError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        v: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_seq(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, ParamError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ParamError> {
        v.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bytes byte_buf unit unit_struct ignored_any
    }
}

/// The parameters as a map, for a struct with a field each.
struct ParamMap<'a> {
    params: std::slice::Iter<'a, (&'a str, &'a str)>,
    value: Option<(&'a str, &'a str)>,
}

impl<'de> de::MapAccess<'de> for ParamMap<'de> {
    type Error = ParamError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ParamError> {
        let Some(&(name, value)) = self.params.next() else { return Ok(None) };
        self.value = Some((name, value));
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ParamError> {
        let (name, value) =
            self.value.take().ok_or_else(|| de::Error::custom("value before key"))?;
        seed.deserialize(Param { name: Some(name), value }).map_err(|e| e.at(name))
    }
}

/// The parameters in route order, for a tuple.
struct ParamSeq<'a>(std::slice::Iter<'a, (&'a str, &'a str)>);

impl<'de> de::SeqAccess<'de> for ParamSeq<'de> {
    type Error = ParamError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ParamError> {
        let Some(&(name, value)) = self.0.next() else { return Ok(None) };
        seed.deserialize(Param { name: Some(name), value }).map(Some).map_err(|e| e.at(name))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Two {
        id: i64,
        flag: bool,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Open,
        Done,
    }

    fn detail<T: DeserializeOwned + std::fmt::Debug>(params: &[(&str, &str)]) -> (u16, String) {
        let e = decode_path::<T>(params).unwrap_err();
        (e.status, e.body.detail)
    }

    #[test]
    fn values_of_each_kind() {
        assert_eq!(
            decode_path::<Two>(&[("id", "-3"), ("flag", "true")]).unwrap(),
            Two { id: -3, flag: true }
        );
        assert_eq!(
            decode_path::<(u8, String)>(&[("a", "7"), ("b", "x")]).unwrap(),
            (7, "x".into())
        );
        assert_eq!(decode_path::<i64>(&[("id", "12")]).unwrap(), 12);
        assert_eq!(decode_path::<Kind>(&[("kind", "done")]).unwrap(), Kind::Done);
        assert_eq!(decode_path::<Option<u32>>(&[("n", "5")]).unwrap(), Some(5));
    }

    #[test]
    fn refusals_name_the_parameter_and_the_kind() {
        assert_eq!(
            detail::<Two>(&[("id", "abc"), ("flag", "true")]),
            (422, "id: must be a valid integer".into())
        );
        assert_eq!(
            detail::<Two>(&[("id", "99999999999999999999"), ("flag", "true")]),
            (422, "id: must be a valid integer".into())
        );
        assert_eq!(
            detail::<Two>(&[("id", "1"), ("flag", "yes")]),
            (422, "flag: must be a valid boolean".into())
        );
        assert_eq!(detail::<bool>(&[("b", "x")]), (422, "path: must be a valid boolean".into()));
        assert_eq!(detail::<f64>(&[("x", "one")]), (422, "path: must be a valid number".into()));
        let (status, message) = detail::<Kind>(&[("kind", "lost")]);
        assert_eq!(status, 422);
        assert!(message.starts_with("path: unknown variant `lost`"), "{message}");
        let (status, message) = detail::<Two>(&[("kind", "lost"), ("flag", "true")]);
        assert_eq!(status, 500, "{message}");
    }
}
