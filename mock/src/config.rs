//! Server configuration, the default seed and the Avara ID formats.

use std::fmt;
use std::io;

/// API key accepted for reads and writes by [`Config::default`] and by the
/// binary when no `--api-key` is given.
pub const DEFAULT_API_KEY: &str = "sk_live_00000000000000000000000000000000";

/// API key that [`Config::default`] accepts but rejects with 403 on writes.
pub const DEFAULT_READ_ONLY_API_KEY: &str = "sk_live_ffffffffffffffffffffffffffffffff";

/// First seeded Express customer. It starts with one member,
/// [`DEFAULT_MEMBER_USER_ID`].
pub const DEFAULT_CUSTOMER_ID: &str = "cus_0123456789abcdef0123456789abcdef";

/// Second seeded Express customer. It starts with no members.
pub const SECOND_CUSTOMER_ID: &str = "cus_fedcba9876543210fedcba9876543210";

/// Seeded user that is not a member of any customer, so adding it succeeds.
pub const DEFAULT_USER_ID: &str = "usr_00000000000000000000000000000001";

/// Second seeded user that is not a member of any customer.
pub const SECOND_USER_ID: &str = "usr_00000000000000000000000000000002";

/// Seeded user that starts as a member of [`DEFAULT_CUSTOMER_ID`], so removing
/// it succeeds and adding it again returns 409.
pub const DEFAULT_MEMBER_USER_ID: &str = "usr_00000000000000000000000000000003";

/// Settings for [`crate::Server::start`].
///
/// Build one with struct update syntax so that new fields keep their
/// defaults: `Config { port: 8080, ..Config::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// TCP port on 127.0.0.1. 0 lets the OS pick a free port; read it back with
    /// [`crate::Server::addr`].
    pub port: u16,
    /// API keys accepted as `Authorization: Bearer <key>` for every request.
    pub api_keys: Vec<String>,
    /// API keys that authenticate but get 403 on add and remove.
    pub read_only_keys: Vec<String>,
    /// Express customer IDs that exist at start and after a reset.
    pub customers: Vec<String>,
    /// User IDs that exist at start and after a reset.
    pub users: Vec<String>,
    /// Initial memberships as `(customer ID, user ID)`. Each pair also seeds its
    /// customer and its user.
    pub members: Vec<(String, String)>,
    /// Writes one line per request to stderr when true.
    pub verbose: bool,
}

impl Default for Config {
    /// Port 0, [`DEFAULT_API_KEY`], [`DEFAULT_READ_ONLY_API_KEY`], the two
    /// default customers, the three default users and one membership
    /// ([`DEFAULT_CUSTOMER_ID`], [`DEFAULT_MEMBER_USER_ID`]).
    fn default() -> Self {
        Config {
            port: 0,
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            read_only_keys: vec![DEFAULT_READ_ONLY_API_KEY.to_owned()],
            customers: vec![
                DEFAULT_CUSTOMER_ID.to_owned(),
                SECOND_CUSTOMER_ID.to_owned(),
            ],
            users: vec![
                DEFAULT_USER_ID.to_owned(),
                SECOND_USER_ID.to_owned(),
                DEFAULT_MEMBER_USER_ID.to_owned(),
            ],
            members: vec![(
                DEFAULT_CUSTOMER_ID.to_owned(),
                DEFAULT_MEMBER_USER_ID.to_owned(),
            )],
            verbose: false,
        }
    }
}

impl Config {
    /// Returns the config with no customers, users or members, keeping the
    /// keys and port.
    pub fn without_seed(mut self) -> Self {
        self.customers.clear();
        self.users.clear();
        self.members.clear();
        self
    }

    /// Checks every key and ID, so that a typo fails at start instead of as a
    /// confusing 404 later. The error names the invalid value.
    pub fn validate(&self) -> io::Result<()> {
        for key in self.api_keys.iter().chain(&self.read_only_keys) {
            validate_api_key(key).map_err(invalid_input)?;
        }
        let member_customers = self.members.iter().map(|(customer, _)| customer);
        for customer in self.customers.iter().chain(member_customers) {
            validate_customer_id(customer).map_err(invalid_input)?;
        }
        let member_users = self.members.iter().map(|(_, user)| user);
        for user in self.users.iter().chain(member_users) {
            validate_user_id(user).map_err(invalid_input)?;
        }
        Ok(())
    }
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Checks that `key` can travel in an `Authorization` header: non-empty
/// visible ASCII with no spaces. The `sk_live_` format is not enforced, so
/// tests can use keys of other shapes.
pub fn validate_api_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("invalid API key '': it must not be empty".to_owned());
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "invalid API key {key:?}: use visible ASCII characters only, with no spaces"
        ));
    }
    Ok(())
}

/// Checks that `id` is `cus_` followed by 32 hex digits of either case.
pub fn validate_customer_id(id: &str) -> Result<(), String> {
    parse_id(IdKind::Customer, id.as_bytes())
        .map(|_| ())
        .map_err(|()| IdKind::Customer.format_error(id))
}

/// Checks that `id` is `usr_` followed by 32 hex digits of either case.
pub fn validate_user_id(id: &str) -> Result<(), String> {
    parse_id(IdKind::User, id.as_bytes())
        .map(|_| ())
        .map_err(|()| IdKind::User.format_error(id))
}

/// The two Avara ID kinds the Express Users API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    Customer,
    User,
}

impl IdKind {
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            IdKind::Customer => "cus_",
            IdKind::User => "usr_",
        }
    }

    fn format_error(self, value: &str) -> String {
        format!(
            "invalid {} ID {value:?}: expected {}",
            match self {
                IdKind::Customer => "customer",
                IdKind::User => "user",
            },
            IdFormat(self)
        )
    }
}

/// Displays the expected format of an ID kind, such as
/// `cus_ followed by 32 hex digits`.
pub(crate) struct IdFormat(pub(crate) IdKind);

impl fmt::Display for IdFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} followed by 32 hex digits", self.0.prefix())
    }
}

/// Parses `cus_` or `usr_` followed by exactly 32 hex digits of either case
/// into the 128-bit number they spell.
///
/// IDs are compared by this number, so `cus_ABC…` and `cus_abc…` name the same
/// customer. The prefix itself must be lowercase.
pub(crate) fn parse_id(kind: IdKind, value: &[u8]) -> Result<u128, ()> {
    let digits = value.strip_prefix(kind.prefix().as_bytes()).ok_or(())?;
    if digits.len() != 32 {
        return Err(());
    }
    let mut number: u128 = 0;
    for &byte in digits {
        let digit = (byte as char).to_digit(16).ok_or(())?;
        number = (number << 4) | u128::from(digit);
    }
    Ok(number)
}

/// Formats an ID number in canonical form: the prefix and 32 lowercase hex
/// digits.
pub(crate) fn format_id(kind: IdKind, number: u128) -> String {
    format!("{}{number:032x}", kind.prefix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_id_accepts_both_cases() {
        let lower = parse_id(IdKind::Customer, b"cus_0123456789abcdef0123456789abcdef");
        let upper = parse_id(IdKind::Customer, b"cus_0123456789ABCDEF0123456789ABCDEF");
        assert_eq!(lower, Ok(0x0123456789abcdef0123456789abcdef));
        assert_eq!(upper, lower);
    }

    #[test]
    fn parse_id_rejects_bad_shapes() {
        let cases: [&[u8]; 7] = [
            b"",
            b"cus_",
            b"usr_0123456789abcdef0123456789abcdef",
            b"CUS_0123456789abcdef0123456789abcdef",
            b"cus_0123456789abcdef0123456789abcde",
            b"cus_0123456789abcdef0123456789abcdef0",
            b"cus_0123456789abcdef0123456789abcdeg",
        ];
        for case in cases {
            assert_eq!(
                parse_id(IdKind::Customer, case),
                Err(()),
                "{:?}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn format_id_round_trips() {
        let number = parse_id(IdKind::User, DEFAULT_MEMBER_USER_ID.as_bytes()).unwrap();
        assert_eq!(format_id(IdKind::User, number), DEFAULT_MEMBER_USER_ID);
    }

    #[test]
    fn default_config_is_valid() {
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn validate_names_bad_member_id() {
        let config = Config {
            members: vec![(DEFAULT_CUSTOMER_ID.to_owned(), "usr_123".to_owned())],
            ..Config::default()
        };
        let error = config.validate().unwrap_err();
        assert!(error.to_string().contains("usr_123"), "{error}");
    }

    #[test]
    fn validate_rejects_key_with_space() {
        let config = Config {
            api_keys: vec!["sk_live_ bad".to_owned()],
            ..Config::default()
        };
        assert!(config.validate().is_err());
    }
}
