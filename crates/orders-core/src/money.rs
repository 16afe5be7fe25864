//! Exact money. Prices come from the JSON *text* of the request (a number or
//! a string), become [`Decimal`] without ever passing through a float, and
//! are kept with exactly two decimal places.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Decimal places a price may carry.
pub const MONEY_SCALE: u32 = 2;

/// Upper bound (exclusive) of a unit price.
pub fn max_price() -> Decimal {
    Decimal::new(1_000_000, 0)
}

/// Why a price was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("must be a number or a string holding a decimal number")]
    NotANumber,
    #[error("must have at most 2 decimal places")]
    TooManyDecimals,
    #[error("must not be negative")]
    Negative,
    #[error("must be less than 1000000")]
    TooLarge,
}

/// Parses the raw JSON text of a `price` value: `12.5`, `"12.50"`, `1e2`.
pub fn parse_price_json(raw: &str) -> Result<Decimal, PriceError> {
    let raw = raw.trim();
    let text = if let Some(inner) = raw.strip_prefix('"') {
        let inner = inner.strip_suffix('"').ok_or(PriceError::NotANumber)?;
        // Strings are plain decimals only: no sign, no exponent, no spaces.
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(PriceError::NotANumber);
        }
        inner
    } else {
        raw
    };
    parse_price_text(text)
}

/// Parses decimal text (plain or scientific notation) exactly.
pub fn parse_price_text(text: &str) -> Result<Decimal, PriceError> {
    let dec = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).map_err(|_| PriceError::NotANumber)?
    } else {
        Decimal::from_str_exact(text).map_err(|_| PriceError::NotANumber)?
    };
    check_price(dec)
}

/// Applies the money rules to an exact value and returns it at scale 2.
pub fn check_price(dec: Decimal) -> Result<Decimal, PriceError> {
    let normalized = dec.normalize();
    if normalized.scale() > MONEY_SCALE {
        return Err(PriceError::TooManyDecimals);
    }
    if normalized.is_sign_negative() && !normalized.is_zero() {
        return Err(PriceError::Negative);
    }
    if normalized >= max_price() {
        return Err(PriceError::TooLarge);
    }
    Ok(to_money(normalized))
}

/// The value at exactly two decimal places (`10` becomes `10.00`).
pub fn to_money(dec: Decimal) -> Decimal {
    let mut d = if dec.is_zero() {
        Decimal::ZERO
    } else {
        dec.round_dp(MONEY_SCALE)
    };
    d.rescale(MONEY_SCALE);
    d
}

/// Parses a stored money string (always written by [`to_money`]).
pub fn parse_stored(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).ok().map(to_money)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_numbers_and_strings_exactly() {
        assert_eq!(parse_price_json("999.99").unwrap().to_string(), "999.99");
        assert_eq!(parse_price_json("\"29.9\"").unwrap().to_string(), "29.90");
        assert_eq!(parse_price_json("0").unwrap().to_string(), "0.00");
        assert_eq!(parse_price_json("1e2").unwrap().to_string(), "100.00");
        assert_eq!(parse_price_json("1.50").unwrap().to_string(), "1.50");
        assert_eq!(parse_price_json("1.500").unwrap().to_string(), "1.50");
        assert_eq!(parse_price_json("-0").unwrap().to_string(), "0.00");
    }

    #[test]
    fn refuses_bad_prices() {
        assert_eq!(parse_price_json("0.001"), Err(PriceError::TooManyDecimals));
        assert_eq!(
            parse_price_json("\"1.234\""),
            Err(PriceError::TooManyDecimals)
        );
        assert_eq!(parse_price_json("-1"), Err(PriceError::Negative));
        assert_eq!(parse_price_json("1000000"), Err(PriceError::TooLarge));
        assert_eq!(
            parse_price_json("999999.995"),
            Err(PriceError::TooManyDecimals)
        );
        assert_eq!(parse_price_json("\"abc\""), Err(PriceError::NotANumber));
        assert_eq!(parse_price_json("\"-1\""), Err(PriceError::NotANumber));
        assert_eq!(parse_price_json("\"1e2\""), Err(PriceError::NotANumber));
        assert_eq!(parse_price_json("\"\""), Err(PriceError::NotANumber));
        assert_eq!(parse_price_json("true"), Err(PriceError::NotANumber));
    }

    #[test]
    fn classic_float_traps_are_exact() {
        let a = parse_price_json("0.1").unwrap();
        let b = parse_price_json("0.2").unwrap();
        assert_eq!((a + b).to_string(), "0.30");
        let p = parse_price_json("19.99").unwrap();
        assert_eq!((p * Decimal::from(3)).to_string(), "59.97");
    }

    proptest! {
        #[test]
        fn any_cents_value_round_trips(cents in 0i64..100_000_000) {
            let text = format!("{}.{:02}", cents / 100, cents % 100);
            let parsed = parse_price_json(&text).unwrap();
            prop_assert_eq!(parsed.to_string(), text.clone());
            let quoted = parse_price_json(&format!("\"{text}\"")).unwrap();
            prop_assert_eq!(quoted, parsed);
        }

        #[test]
        fn three_places_with_nonzero_last_digit_is_refused(cents in 0i64..100_000_000, last in 1u8..10) {
            let text = format!("{}.{:02}{}", cents / 100, cents % 100, last);
            prop_assert_eq!(parse_price_json(&text), Err(PriceError::TooManyDecimals));
        }

        #[test]
        fn stored_form_round_trips(cents in 0i64..100_000_000) {
            let d = to_money(Decimal::new(cents, 2));
            prop_assert_eq!(parse_stored(&d.to_string()), Some(d));
        }
    }
}
