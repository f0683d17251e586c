//! An alerting rule's state: which label sets are pending, firing or recently resolved, and
//! what each evaluation writes (`ALERTS`, `ALERTS_FOR_STATE`) and sends. The transitions are
//! Prometheus's (`rules/alerting.go`): pending after the first match, firing once `for` has
//! passed, kept firing for `keep_firing_for` after the expression stops matching, and resolved
//! alerts kept (and re-sent) for 15 minutes.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How long a resolved alert is kept, so that Alertmanager hears about the resolution even
/// across a few failed sends.
pub const RESOLVED_RETENTION: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert (one label set) of a rule. Times are milliseconds since the epoch; 0 is unset.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Sorted; includes `alertname`.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub state: AlertState,
    pub value: f64,
    pub active_at: i64,
    pub fired_at: i64,
    pub resolved_at: i64,
    pub last_sent_at: i64,
    pub valid_until: i64,
    pub keep_firing_since: i64,
}

impl Alert {
    /// Prometheus's `needsSending`: firing or resolved alerts, at most once per resend delay,
    /// and at once when resolved since the last send.
    pub fn needs_sending(&self, ts: i64, resend_delay_ms: i64) -> bool {
        if self.state == AlertState::Pending {
            return false;
        }
        if self.resolved_at > self.last_sent_at || self.last_sent_at == 0 {
            return true;
        }
        self.last_sent_at + resend_delay_ms < ts
    }
}

/// What the expression returned for one label set, after the rule's labels and annotations
/// were rendered.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub value: f64,
}

/// The rule's alerts between evaluations.
#[derive(Debug, Default, Clone)]
pub struct AlertSet {
    pub active: HashMap<Vec<(String, String)>, Alert>,
}

/// A series an evaluation writes: `ALERTS` or `ALERTS_FOR_STATE`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSample {
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

fn key(labels: &BTreeMap<String, String>) -> Vec<(String, String)> {
    labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl AlertSet {
    /// Applies one evaluation at `ts`: `found` are the label sets the expression returned.
    /// Returns the `ALERTS`/`ALERTS_FOR_STATE` samples to write (when `restored`), or the
    /// limit error, in which case every alert is dropped as Prometheus does.
    pub fn update(
        &mut self,
        found: Vec<Candidate>,
        ts: i64,
        hold_ms: i64,
        keep_firing_ms: i64,
        limit: u64,
        restored: bool,
    ) -> Result<Vec<StateSample>, String> {
        let mut current: HashMap<Vec<(String, String)>, Candidate> = HashMap::new();
        for c in found {
            let k = key(&c.labels);
            if current.contains_key(&k) {
                return Err(
                    "vector contains metrics with the same labelset after applying alert labels"
                        .into(),
                );
            }
            current.insert(k, c);
        }
        for (k, c) in &current {
            match self.active.get_mut(k) {
                Some(a) if a.state != AlertState::Inactive => {
                    a.value = c.value;
                    a.annotations = c.annotations.clone();
                }
                _ => {
                    self.active.insert(
                        k.clone(),
                        Alert {
                            labels: c.labels.clone(),
                            annotations: c.annotations.clone(),
                            state: AlertState::Pending,
                            value: c.value,
                            active_at: ts,
                            fired_at: 0,
                            resolved_at: 0,
                            last_sent_at: 0,
                            valid_until: 0,
                            keep_firing_since: 0,
                        },
                    );
                }
            }
        }
        let mut out = Vec::new();
        let mut active_pending = 0u64;
        let mut remove = Vec::new();
        for (k, a) in self.active.iter_mut() {
            if !current.contains_key(k) {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && keep_firing_ms > 0 {
                    if a.keep_firing_since == 0 {
                        a.keep_firing_since = ts;
                    }
                    keep_firing = ts - a.keep_firing_since < keep_firing_ms;
                }
                if a.state == AlertState::Pending
                    || (a.resolved_at != 0
                        && ts - a.resolved_at > RESOLVED_RETENTION.as_millis() as i64)
                {
                    remove.push(k.clone());
                }
                if a.state != AlertState::Inactive && !keep_firing {
                    a.state = AlertState::Inactive;
                    a.resolved_at = ts;
                }
                if !keep_firing {
                    continue;
                }
            } else {
                a.keep_firing_since = 0;
            }
            active_pending += 1;
            if a.state == AlertState::Pending && ts - a.active_at >= hold_ms {
                a.state = AlertState::Firing;
                a.fired_at = ts;
            }
            if restored {
                out.push(alerts_sample(a));
                out.push(for_state_sample(a));
            }
        }
        for k in remove {
            self.active.remove(&k);
        }
        if limit > 0 && active_pending > limit {
            self.active.clear();
            return Err(format!(
                "exceeded limit of {limit} with {active_pending} alerts"
            ));
        }
        Ok(out)
    }

    /// The alerts to send at `ts`, marking them sent: firing and resolved ones, at most once
    /// per `resend_delay`, valid for four times the larger of the delay and the interval.
    pub fn to_send(&mut self, ts: i64, resend_delay_ms: i64, interval_ms: i64) -> Vec<Alert> {
        let mut out = Vec::new();
        for a in self.active.values_mut() {
            if a.needs_sending(ts, resend_delay_ms) {
                a.last_sent_at = ts;
                a.valid_until = ts + 4 * resend_delay_ms.max(interval_ms);
                out.push(a.clone());
            }
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// The rule's state for the API: firing if any alert fires, else pending if any is.
    pub fn state(&self) -> AlertState {
        let mut st = AlertState::Inactive;
        for a in self.active.values() {
            match a.state {
                AlertState::Firing => return AlertState::Firing,
                AlertState::Pending => st = AlertState::Pending,
                AlertState::Inactive => {}
            }
        }
        st
    }
}

fn alerts_sample(a: &Alert) -> StateSample {
    let mut labels: Vec<(String, String)> = a
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__" && k.as_str() != "alertstate")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.push(("__name__".into(), "ALERTS".into()));
    labels.push(("alertstate".into(), a.state.as_str().into()));
    labels.sort();
    StateSample { labels, value: 1.0 }
}

fn for_state_sample(a: &Alert) -> StateSample {
    let mut labels: Vec<(String, String)> = a
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.push(("__name__".into(), "ALERTS_FOR_STATE".into()));
    labels.sort();
    StateSample {
        labels,
        value: (a.active_at.div_euclid(1000)) as f64,
    }
}

/// Prometheus's `for` restore after a restart: given the last `ALERTS_FOR_STATE` sample of an
/// alert (time `down_at` and value `active_at_s`, seconds), the `active_at` (ms) to continue
/// with at `ts`. `None` when the stored state says the alert was not active.
pub fn restored_active_at(
    ts: i64,
    down_at: i64,
    active_at_s: f64,
    hold_ms: i64,
    grace_ms: i64,
) -> Option<i64> {
    if promql::is_stale(active_at_s) || !active_at_s.is_finite() {
        return None;
    }
    // Prometheus truncates both times to whole seconds.
    let down_at = down_at.div_euclid(1000) * 1000;
    let restored = (active_at_s as i64) * 1000;
    let spent = down_at - restored;
    let remaining = hold_ms - spent;
    Some(if remaining <= 0 {
        restored
    } else if remaining < grace_ms {
        ts + grace_ms - hold_ms
    } else {
        restored + (ts - down_at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(instance: &str, v: f64) -> Candidate {
        Candidate {
            labels: BTreeMap::from([
                ("alertname".to_string(), "High".to_string()),
                ("instance".to_string(), instance.to_string()),
            ]),
            annotations: BTreeMap::from([("summary".to_string(), format!("{instance} {v}"))]),
            value: v,
        }
    }

    fn state_of(s: &AlertSet, instance: &str) -> Option<AlertState> {
        s.active
            .values()
            .find(|a| a.labels["instance"] == instance)
            .map(|a| a.state)
    }

    #[test]
    fn pending_then_firing_then_resolved() {
        let mut s = AlertSet::default();
        let out = s
            .update(vec![cand("a", 1.0)], 0, 60_000, 0, 0, true)
            .unwrap();
        assert_eq!(state_of(&s, "a"), Some(AlertState::Pending));
        assert_eq!(out.len(), 2);
        assert!(
            out[0]
                .labels
                .contains(&("alertstate".into(), "pending".into()))
        );
        assert_eq!(out[1].value, 0.0);
        assert!(
            s.to_send(0, 60_000, 15_000).is_empty(),
            "pending is not sent"
        );

        s.update(vec![cand("a", 2.0)], 30_000, 60_000, 0, 0, true)
            .unwrap();
        assert_eq!(state_of(&s, "a"), Some(AlertState::Pending));
        let out = s
            .update(vec![cand("a", 3.0)], 60_000, 60_000, 0, 0, true)
            .unwrap();
        assert_eq!(state_of(&s, "a"), Some(AlertState::Firing));
        assert!(
            out[0]
                .labels
                .contains(&("alertstate".into(), "firing".into()))
        );
        let sent = s.to_send(60_000, 60_000, 15_000);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].fired_at, 60_000);
        assert_eq!(sent[0].valid_until, 60_000 + 240_000);
        assert_eq!(sent[0].annotations["summary"], "a 3");
        // Not again before the resend delay.
        s.update(vec![cand("a", 3.0)], 75_000, 60_000, 0, 0, true)
            .unwrap();
        assert!(s.to_send(75_000, 60_000, 15_000).is_empty());

        // Resolved: inactive, sent at once, no ALERTS sample, kept for 15 minutes.
        let out = s.update(vec![], 90_000, 60_000, 0, 0, true).unwrap();
        assert!(out.is_empty());
        assert_eq!(state_of(&s, "a"), Some(AlertState::Inactive));
        let sent = s.to_send(90_000, 60_000, 15_000);
        assert_eq!(sent[0].resolved_at, 90_000);
        s.update(vec![], 90_000 + 15 * 60_000, 60_000, 0, 0, true)
            .unwrap();
        assert!(s.active.contains_key(&key(&cand("a", 0.0).labels)));
        s.update(vec![], 90_001 + 15 * 60_000, 60_000, 0, 0, true)
            .unwrap();
        assert!(s.active.is_empty());
    }

    #[test]
    fn pending_alerts_vanish_and_keep_firing_for_holds() {
        let mut s = AlertSet::default();
        s.update(vec![cand("a", 1.0)], 0, 60_000, 0, 0, true)
            .unwrap();
        s.update(vec![], 15_000, 60_000, 0, 0, true).unwrap();
        assert!(
            s.active.is_empty(),
            "a pending alert that stops matching is forgotten"
        );

        s.update(vec![cand("b", 1.0)], 0, 0, 30_000, 0, true)
            .unwrap();
        assert_eq!(state_of(&s, "b"), Some(AlertState::Firing));
        let out = s.update(vec![], 15_000, 0, 30_000, 0, true).unwrap();
        assert_eq!(state_of(&s, "b"), Some(AlertState::Firing));
        assert_eq!(out.len(), 2);
        s.update(vec![], 44_999, 0, 30_000, 0, true).unwrap();
        assert_eq!(state_of(&s, "b"), Some(AlertState::Firing));
        s.update(vec![], 45_000, 0, 30_000, 0, true).unwrap();
        assert_eq!(state_of(&s, "b"), Some(AlertState::Inactive));
    }

    #[test]
    fn limit_and_duplicates_are_errors() {
        let mut s = AlertSet::default();
        let err = s
            .update(vec![cand("a", 1.0), cand("b", 1.0)], 0, 0, 0, 1, true)
            .unwrap_err();
        assert_eq!(err, "exceeded limit of 1 with 2 alerts");
        assert!(s.active.is_empty());
        let err = s
            .update(vec![cand("a", 1.0), cand("a", 2.0)], 0, 0, 0, 0, true)
            .unwrap_err();
        assert!(err.contains("same labelset"));
    }

    #[test]
    fn for_state_restore_follows_prometheus() {
        let (hold, grace) = (600_000, 60_000);
        // Went down 2 minutes after becoming active, came back 5 minutes later: 8 minutes of
        // `for` remain, so the start moves forward by the outage.
        let active = 1_000_000.0;
        let down = 1_000_000_000 + 120_000;
        let now = down + 300_000;
        assert_eq!(
            restored_active_at(now, down, active, hold, grace),
            Some(1_000_000_000 + 300_000)
        );
        // Already firing before the outage: unchanged.
        assert_eq!(
            restored_active_at(now, 1_000_000_000 + 700_000, active, hold, grace),
            Some(1_000_000_000)
        );
        // Less than the grace period left: fires one grace period from now.
        let (hold, grace) = (900_000, 600_000);
        assert_eq!(
            restored_active_at(now, 1_000_000_000 + 600_000, active, hold, grace),
            Some(now + grace - hold)
        );
        assert_eq!(
            restored_active_at(
                now,
                down,
                f64::from_bits(promql::STALE_NAN_BITS),
                hold,
                grace
            ),
            None
        );
    }
}
