//! The macro that turns the one declaration of the settings (`config/settings.rs`) into everything
//! else: the public structs grouped by concern, the flat raw form that figment fills (one field per
//! variable, named like it in lower case, with its default), the list of variables read from the
//! environment, the checks of each value, and the `caravan config` listing.
//!
//! Each entry reads
//!
//! ```text
//! /// doc
//! field: Type = "ENV_NAME" raw_name: RawType = default, check …, into …, show …;
//! ```
//!
//! grouped under `group_name: GroupStruct { … }` (or under `top { … }` for fields of `Settings`
//! itself). `check` (the value's own rule: `Err(message)` says what is wrong), `into` (raw value →
//! `Type`, when they differ) and `show` (how `caravan config` prints it, when not `Display`) are
//! optional. Rules that tie several settings together are in `check_together` (`config.rs`).

/// Declares every setting; see the module docs.
macro_rules! declare_settings {
    (
        $(#[doc = $sdoc:literal])*
        pub struct Settings {
            top {
                $(
                    $(#[doc = $tdoc:literal])*
                    $tfield:ident: $tty:ty = $tenv:literal $traw:ident: $traw_ty:ty = $tdefault:expr
                        $(, check $tcheck:expr)? $(, into $tinto:expr)? $(, show $tshow:expr)?;
                )*
            }
            $(
                $(#[doc = $gdoc:literal])*
                $group:ident: $Group:ident {
                    $(
                        $(#[doc = $doc:literal])*
                        $field:ident: $ty:ty = $env:literal $raw:ident: $raw_ty:ty = $default:expr
                            $(, check $check:expr)? $(, into $into:expr)? $(, show $show:expr)?;
                    )+
                }
            )+
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone)]
        pub struct Settings {
            $(
                $(#[doc = $tdoc])*
                pub $tfield: $tty,
            )*
            $(
                $(#[doc = $gdoc])*
                pub $group: $Group,
            )+
        }

        $(
            $(#[doc = $gdoc])*
            #[derive(Debug, Clone)]
            pub struct $Group {
                $(
                    $(#[doc = $doc])*
                    pub $field: $ty,
                )+
            }
        )+

        /// The flat form that figment fills: one field per setting, named like the variable in
        /// lower case.
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(super) struct RawSettings {
            $(pub(super) $traw: $traw_ty,)*
            $($(pub(super) $raw: $raw_ty,)+)+
        }

        impl Default for RawSettings {
            fn default() -> Self {
                RawSettings {
                    $($traw: $tdefault,)*
                    $($($raw: $default,)+)+
                }
            }
        }

        /// Every environment variable the server reads, in the order declared, with whether its
        /// value is text (never parsed as a number).
        pub(super) const SETTINGS: &[(&str, bool)] = &[
            $(($tenv, <$traw_ty as $crate::config::values::RawValue>::TEXT),)*
            $($(($env, <$raw_ty as $crate::config::values::RawValue>::TEXT),)+)+
        ];

        /// Every declared setting's raw field name and variable (their match is tested).
        #[cfg(test)]
        pub(super) const RAW_NAMES: &[(&str, &str)] = &[
            $((stringify!($traw), $tenv),)*
            $($((stringify!($raw), $env),)+)+
        ];

        impl RawSettings {
            /// Checks each value on its own, then converts the whole into [`Settings`].
            pub(super) fn into_settings(self) -> Result<Settings, $crate::config::ConfigError> {
                $($crate::config::declare::check_one(
                    $tenv,
                    &self.$traw,
                    $crate::config::declare::given_or!(|_| Ok(()) $(, $tcheck)?),
                )?;)*
                $($($crate::config::declare::check_one(
                    $env,
                    &self.$raw,
                    $crate::config::declare::given_or!(|_| Ok(()) $(, $check)?),
                )?;)+)+
                $crate::config::check_together(&self)?;
                Ok(Settings {
                    $($tfield: $crate::config::declare::into_one(
                        self.$traw,
                        $crate::config::declare::given_or!(|v| v $(, $tinto)?),
                    ),)*
                    $($group: $Group {
                        $($field: $crate::config::declare::into_one(
                            self.$raw,
                            $crate::config::declare::given_or!(|v| v $(, $into)?),
                        ),)+
                    },)+
                })
            }
        }

        impl Settings {
            /// A printable summary with secrets masked (for `caravan config` and the start-up
            /// log), in the order declared.
            pub fn describe(&self) -> Vec<(&'static str, String)> {
                vec![
                    $(($tenv, $crate::config::declare::show_one(
                        &self.$tfield,
                        $crate::config::declare::given_or!(|v| v.to_string() $(, $tshow)?),
                    )),)*
                    $($(($env, $crate::config::declare::show_one(
                        &self.$group.$field,
                        $crate::config::declare::given_or!(|v| v.to_string() $(, $show)?),
                    )),)+)+
                ]
            }
        }
    };
}

/// The given expression, else the default (the optional parts of an entry).
macro_rules! given_or {
    ($default:expr) => {
        $default
    };
    ($default:expr, $given:expr) => {
        $given
    };
}

pub(super) use declare_settings;
pub(super) use given_or;

use super::ConfigError;

/// The value's own rule: the setting is named in the error.
pub(super) fn check_one<T>(
    setting: &'static str,
    value: &T,
    check: impl FnOnce(&T) -> Result<(), String>,
) -> Result<(), ConfigError> {
    check(value).map_err(|message| ConfigError::Invalid { setting, message })
}

/// The raw value as the setting's type.
pub(super) fn into_one<R, T>(raw: R, into: impl FnOnce(R) -> T) -> T {
    into(raw)
}

/// How `caravan config` prints the value.
pub(super) fn show_one<T>(value: &T, show: impl FnOnce(&T) -> String) -> String {
    show(value)
}
