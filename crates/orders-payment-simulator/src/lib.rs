//! The payment provider of every stage that has no real one: a
//! deterministic stand-in for a provider's test mode, behind the same port
//! ([`PaymentGateway`]) a real adapter would implement. The token decides
//! the answer; what it must remember across processes (how often a key was
//! tried, whether it was voided) it keeps in the store ([`AttemptCounter`]).

use async_trait::async_trait;
use orders_core::payments::{
    ChargeRequest, DeclineCode, PaymentError, PaymentToken, ProviderCharge, RefundRequest,
    VoidOutcome,
};
use orders_core::ports::{AttemptCounter, PaymentGateway};
use uuid::Uuid;

/// A provider in test mode, deterministic: the token decides the answer,
/// and `tok_transient_N` fails the first N attempts of a key. References
/// are derived from the idempotency key, so a repeated call answers alike.
pub struct SimulatedGateway<C> {
    attempts: C,
}

impl<C> SimulatedGateway<C> {
    pub fn new(attempts: C) -> Self {
        Self { attempts }
    }
}

/// How many first attempts of a charge with `token` fail transiently.
fn transient_failures(token: PaymentToken) -> u32 {
    match token {
        PaymentToken::Transient1 => 1,
        PaymentToken::Transient2 => 2,
        PaymentToken::TransientAlways => u32::MAX,
        _ => 0,
    }
}

/// Whether the provider approves a charge with `token` that gets through.
fn approves(token: PaymentToken) -> bool {
    !matches!(
        token,
        PaymentToken::DeclineInsufficientFunds | PaymentToken::DeclineCard
    )
}

fn charge_key(request: &ChargeRequest) -> String {
    format!("charge#{}", request.idempotency_key)
}

#[async_trait]
impl<C: AttemptCounter> PaymentGateway for SimulatedGateway<C> {
    async fn charge(&self, request: &ChargeRequest) -> Result<ProviderCharge, PaymentError> {
        if request.amount_minor < 0 {
            return Err(PaymentError::Rejected("negative amount".into()));
        }
        let Some(attempt) = self.attempts.count_attempt(&charge_key(request)).await? else {
            return Err(PaymentError::Rejected(format!(
                "charge {} was cancelled",
                request.idempotency_key
            )));
        };
        if attempt <= transient_failures(request.token) {
            return Err(PaymentError::Transient(format!(
                "simulated provider outage (attempt {attempt})"
            )));
        }
        Ok(match request.token {
            PaymentToken::DeclineInsufficientFunds => ProviderCharge::Declined {
                code: DeclineCode::InsufficientFunds,
            },
            PaymentToken::DeclineCard => ProviderCharge::Declined {
                code: DeclineCode::CardDeclined,
            },
            _ => ProviderCharge::Approved {
                provider_ref: format!("ch_sim_{}", simple_ref(&request.idempotency_key)),
            },
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<String, PaymentError> {
        Ok(format!("re_sim_{}", simple_ref(&request.idempotency_key)))
    }

    async fn void(&self, request: &ChargeRequest) -> Result<VoidOutcome, PaymentError> {
        let attempts = self.attempts.void_key(&charge_key(request)).await?;
        let charged = approves(request.token)
            && request.amount_minor >= 0
            && attempts > transient_failures(request.token);
        Ok(VoidOutcome {
            refund_ref: charged.then(|| {
                format!(
                    "re_sim_{}",
                    simple_ref(&format!("void#{}", request.idempotency_key))
                )
            }),
        })
    }
}

fn simple_ref(key: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes())
        .simple()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_core::StoreError;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Counts(Mutex<HashMap<String, (u32, bool)>>);

    #[async_trait]
    impl AttemptCounter for Counts {
        async fn count_attempt(&self, key: &str) -> Result<Option<u32>, StoreError> {
            let mut m = self.0.lock().unwrap();
            let (n, voided) = m.entry(key.to_string()).or_default();
            if *voided {
                return Ok(None);
            }
            *n += 1;
            Ok(Some(*n))
        }

        async fn void_key(&self, key: &str) -> Result<u32, StoreError> {
            let mut m = self.0.lock().unwrap();
            let (n, voided) = m.entry(key.to_string()).or_default();
            *voided = true;
            Ok(*n)
        }
    }

    fn req(token: PaymentToken, key: &str) -> ChargeRequest {
        ChargeRequest {
            idempotency_key: key.into(),
            amount_minor: 1234,
            currency: "EUR".into(),
            token,
        }
    }

    #[tokio::test]
    async fn tokens_behave_like_a_test_mode() {
        let gw = SimulatedGateway::new(Counts::default());
        let approved = gw.charge(&req(PaymentToken::Approve, "a")).await.unwrap();
        assert!(matches!(approved, ProviderCharge::Approved { .. }));
        assert_eq!(
            gw.charge(&req(PaymentToken::Approve, "a")).await.unwrap(),
            approved
        );
        assert_eq!(
            gw.charge(&req(PaymentToken::DeclineCard, "b"))
                .await
                .unwrap(),
            ProviderCharge::Declined {
                code: DeclineCode::CardDeclined
            }
        );
        assert_eq!(
            gw.charge(&req(PaymentToken::DeclineInsufficientFunds, "c"))
                .await
                .unwrap(),
            ProviderCharge::Declined {
                code: DeclineCode::InsufficientFunds
            }
        );
        for (token, failures) in [(PaymentToken::Transient1, 1), (PaymentToken::Transient2, 2)] {
            let key = token.as_str();
            for _ in 0..failures {
                assert!(matches!(
                    gw.charge(&req(token, key)).await,
                    Err(PaymentError::Transient(_))
                ));
            }
            assert!(matches!(
                gw.charge(&req(token, key)).await,
                Ok(ProviderCharge::Approved { .. })
            ));
        }
        for _ in 0..5 {
            assert!(matches!(
                gw.charge(&req(PaymentToken::TransientAlways, "z")).await,
                Err(PaymentError::Transient(_))
            ));
        }
    }

    #[tokio::test]
    async fn a_voided_key_refunds_what_it_charged_and_charges_nothing_more() {
        let gw = SimulatedGateway::new(Counts::default());
        // Charged, then voided: refunded.
        assert!(gw.charge(&req(PaymentToken::Approve, "a")).await.is_ok());
        assert!(gw
            .void(&req(PaymentToken::Approve, "a"))
            .await
            .unwrap()
            .refund_ref
            .is_some());
        // Never asked, or only failed or declined: nothing to refund.
        for (token, key, ask) in [
            (PaymentToken::Approve, "b", false),
            (PaymentToken::Transient1, "c", true),
            (PaymentToken::DeclineCard, "d", true),
        ] {
            if ask {
                let _ = gw.charge(&req(token, key)).await;
            }
            let voided = gw.void(&req(token, key)).await.unwrap();
            assert_eq!(voided.refund_ref, None, "{key}");
        }
        // After a void every charge with the key is refused, and a second
        // void answers as the first.
        for key in ["a", "b", "c", "d"] {
            assert!(matches!(
                gw.charge(&req(PaymentToken::Approve, key)).await,
                Err(PaymentError::Rejected(_))
            ));
        }
        assert!(gw
            .void(&req(PaymentToken::Approve, "a"))
            .await
            .unwrap()
            .refund_ref
            .is_some());
    }
}
