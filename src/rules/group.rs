//! One rule group's evaluation: every rule at the group's timestamp minus `query_offset`,
//! recording results and `ALERTS`/`ALERTS_FOR_STATE` written through the appender with stale
//! markers for series an evaluation no longer returns, and alerts handed to the notifier.

use super::alerting::{AlertSet, AlertState, Candidate, StateSample, restored_active_at};
use super::file::{Rule, RuleGroup, RuleKind};
use super::template::{self, Data, Env, Querier, QuerySample};
use crate::scrape::AppenderFactory;
use promql::storage::Queryable;
use promql::{Engine, Labels, Matcher, SelectHints, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::warn;

/// An alert as the notifier takes it. Times are milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub generator_url: String,
}

/// Where alerts go (the notifier, or nowhere).
pub type NotifyFn = Arc<dyn Fn(Vec<Outgoing>) + Send + Sync>;

/// Settings shared by every group.
#[derive(Clone)]
pub struct EvalContext {
    pub storage: Arc<dyn Queryable>,
    pub app: AppenderFactory,
    pub notify: NotifyFn,
    pub engine: Engine,
    pub external_labels: BTreeMap<String, String>,
    pub external_url: String,
    pub resend_delay: Duration,
    pub outage_tolerance: Duration,
    pub grace_period: Duration,
}

impl std::fmt::Debug for EvalContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalContext")
            .field("external_url", &self.external_url)
            .field("resend_delay", &self.resend_delay)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Unknown,
    Ok,
    Err,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Ok => "ok",
            Health::Err => "err",
        }
    }
}

/// A rule's state between evaluations, and what the API shows.
#[derive(Debug, Clone)]
pub struct RuleState {
    pub rule: Rule,
    pub health: Health,
    pub last_error: String,
    pub last_evaluation: Option<SystemTime>,
    pub evaluation_time: Duration,
    pub alerts: AlertSet,
    /// Alerting rules write `ALERTS` only once their `for` state has been restored.
    pub restored: bool,
    prev_series: HashSet<Vec<(String, String)>>,
}

impl RuleState {
    pub fn new(rule: Rule) -> Self {
        RuleState {
            rule,
            health: Health::Unknown,
            last_error: String::new(),
            last_evaluation: None,
            evaluation_time: Duration::ZERO,
            alerts: AlertSet::default(),
            restored: false,
            prev_series: HashSet::new(),
        }
    }

    /// Continues from the state of the same rule before a reload.
    pub fn carry_from(&mut self, old: RuleState) {
        self.health = old.health;
        self.last_error = old.last_error;
        self.last_evaluation = old.last_evaluation;
        self.evaluation_time = old.evaluation_time;
        self.alerts = old.alerts;
        self.restored = old.restored;
        self.prev_series = old.prev_series;
    }

    pub fn name(&self) -> &str {
        match &self.rule.kind {
            RuleKind::Recording { record } => record,
            RuleKind::Alerting { alert, .. } => alert,
        }
    }
}

/// A group and its rules' state.
#[derive(Debug)]
pub struct GroupState {
    pub file: String,
    pub group: RuleGroup,
    pub interval: Duration,
    pub query_offset: Duration,
    pub rules: Mutex<Vec<RuleState>>,
    pub last_evaluation: Mutex<Option<SystemTime>>,
    pub evaluation_time: Mutex<Duration>,
}

fn ms_to_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

fn pairs_of(l: &Labels) -> Vec<(String, String)> {
    l.iter()
        .map(|x| (x.name.to_string(), x.value.to_string()))
        .collect()
}

/// The template `query` function: an instant query at the rule's evaluation time.
struct TemplateQuerier<'a> {
    ctx: &'a EvalContext,
}

impl Querier for TemplateQuerier<'_> {
    fn query(&self, q: &str, ts_ms: i64) -> Result<Vec<QuerySample>, String> {
        let out = self
            .ctx
            .engine
            .instant_query(self.ctx.storage.as_ref(), q, ts_ms)
            .map_err(|e| e.to_string())?;
        Ok(match out.value {
            Value::Vector(v) => v
                .into_iter()
                .map(|s| QuerySample {
                    labels: pairs_of(&s.metric).into_iter().collect(),
                    value: s.f,
                })
                .collect(),
            Value::Scalar { v, .. } => vec![QuerySample {
                labels: BTreeMap::new(),
                value: v,
            }],
            _ => return Err("query result is not a vector or scalar".into()),
        })
    }
}

impl GroupState {
    /// Evaluates every rule at `ts` (milliseconds).
    pub fn eval(&self, ctx: &EvalContext, ts: i64) {
        let started = Instant::now();
        let offset = i64::try_from(self.query_offset.as_millis()).unwrap_or(0);
        let eval_ts = ts - offset;
        let interval = i64::try_from(self.interval.as_millis()).unwrap_or(60_000);
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for rs in rules.iter_mut() {
            let rule_started = Instant::now();
            let result = match rs.rule.kind.clone() {
                RuleKind::Recording { record } => self.eval_recording(ctx, rs, &record, eval_ts),
                RuleKind::Alerting {
                    alert,
                    for_,
                    keep_firing_for,
                    annotations,
                } => self.eval_alerting(
                    ctx,
                    rs,
                    (&alert, for_, keep_firing_for, &annotations),
                    ts,
                    eval_ts,
                    interval,
                ),
            };
            rs.last_evaluation = Some(ms_to_time(ts));
            rs.evaluation_time = rule_started.elapsed();
            match result {
                Ok(series) => {
                    rs.health = Health::Ok;
                    rs.last_error.clear();
                    self.write(ctx, rs, series, eval_ts);
                }
                Err(e) => {
                    rs.health = Health::Err;
                    warn!(group = %self.group.name, rule = %rs.name(), error = %e, "rule evaluation failed");
                    rs.last_error = e;
                }
            }
        }
        drop(rules);
        if let Ok(mut l) = self.last_evaluation.lock() {
            *l = Some(ms_to_time(ts));
        }
        if let Ok(mut d) = self.evaluation_time.lock() {
            *d = started.elapsed();
        }
    }

    fn eval_recording(
        &self,
        ctx: &EvalContext,
        rs: &RuleState,
        record: &str,
        eval_ts: i64,
    ) -> Result<Vec<StateSample>, String> {
        let out = ctx
            .engine
            .instant_query(ctx.storage.as_ref(), &rs.rule.expr, eval_ts)
            .map_err(|e| e.to_string())?;
        let samples: Vec<(Vec<(String, String)>, f64)> = match out.value {
            Value::Vector(v) => v.into_iter().map(|s| (pairs_of(&s.metric), s.f)).collect(),
            Value::Scalar { v, .. } => vec![(Vec::new(), v)],
            other => {
                return Err(format!(
                    "rule result is not a vector or scalar: {}",
                    other.type_name()
                ));
            }
        };
        let mut seen = HashSet::new();
        let mut result = Vec::with_capacity(samples.len());
        for (labels, v) in samples {
            let mut lb: BTreeMap<String, String> = labels.into_iter().collect();
            lb.insert("__name__".into(), record.to_string());
            for (k, val) in self.rule_labels(&rs.rule) {
                if val.is_empty() {
                    lb.remove(&k);
                } else {
                    lb.insert(k, val);
                }
            }
            let labels: Vec<(String, String)> = lb.into_iter().collect();
            if !seen.insert(labels.clone()) {
                return Err(
                    "vector contains metrics with the same labelset after applying rule labels"
                        .into(),
                );
            }
            result.push(StateSample { labels, value: v });
        }
        if self.group.limit > 0 && result.len() as u64 > self.group.limit {
            return Err(format!(
                "exceeded limit of {} with {} series",
                self.group.limit,
                result.len()
            ));
        }
        Ok(result)
    }

    /// The rule's labels with the group's labels under them (Prometheus 3 group labels).
    fn rule_labels(&self, rule: &Rule) -> BTreeMap<String, String> {
        let mut l = self.group.labels.clone();
        for (k, v) in &rule.labels {
            l.insert(k.clone(), v.clone());
        }
        l
    }

    fn eval_alerting(
        &self,
        ctx: &EvalContext,
        rs: &mut RuleState,
        (alert, hold, keep_firing, annotations): (
            &str,
            Duration,
            Duration,
            &BTreeMap<String, String>,
        ),
        ts: i64,
        eval_ts: i64,
        interval: i64,
    ) -> Result<Vec<StateSample>, String> {
        let out = ctx
            .engine
            .instant_query(ctx.storage.as_ref(), &rs.rule.expr, eval_ts)
            .map_err(|e| e.to_string())?;
        let samples: Vec<(Vec<(String, String)>, f64)> = match out.value {
            Value::Vector(v) => v.into_iter().map(|s| (pairs_of(&s.metric), s.f)).collect(),
            Value::Scalar { v, .. } => vec![(Vec::new(), v)],
            other => {
                return Err(format!(
                    "rule result is not a vector or scalar: {}",
                    other.type_name()
                ));
            }
        };
        let querier = TemplateQuerier { ctx };
        let env = Env {
            querier: Some(&querier),
            ts_ms: eval_ts,
        };
        let rule_labels = self.rule_labels(&rs.rule);
        let tmpl_name = format!("__alert_{alert}");
        let mut found = Vec::with_capacity(samples.len());
        for (labels, value) in samples {
            let data = Data {
                labels: labels.iter().cloned().collect(),
                external_labels: ctx.external_labels.clone(),
                external_url: ctx.external_url.clone(),
                value,
            };
            let expand = |text: &str| match template::expand(&tmpl_name, text, &data, &env) {
                Ok(s) => s,
                Err(e) => {
                    warn!(alert, error = %e, "expanding alert template failed");
                    format!("<error expanding template: {e}>")
                }
            };
            let mut lb: BTreeMap<String, String> = labels.into_iter().collect();
            lb.remove("__name__");
            for (k, v) in &rule_labels {
                let v = expand(v);
                if v.is_empty() {
                    lb.remove(k);
                } else {
                    lb.insert(k.clone(), v);
                }
            }
            lb.insert("alertname".into(), alert.to_string());
            let annotations = annotations
                .iter()
                .map(|(k, v)| (k.clone(), expand(v)))
                .collect();
            found.push(Candidate {
                labels: lb,
                annotations,
                value,
            });
        }
        let hold_ms = i64::try_from(hold.as_millis()).unwrap_or(i64::MAX);
        let keep_ms = i64::try_from(keep_firing.as_millis()).unwrap_or(i64::MAX);
        let series =
            rs.alerts
                .update(found, ts, hold_ms, keep_ms, self.group.limit, rs.restored)?;
        let resend = i64::try_from(ctx.resend_delay.as_millis()).unwrap_or(60_000);
        let to_send = rs.alerts.to_send(ts, resend, interval);
        if !to_send.is_empty() {
            let generator_url = format!(
                "{}/graph?g0.expr={}&g0.tab=1",
                ctx.external_url.trim_end_matches('/'),
                query_escape(&rs.rule.expr)
            );
            let out = to_send
                .into_iter()
                .map(|a| Outgoing {
                    labels: a.labels,
                    annotations: a.annotations,
                    starts_at: a.fired_at,
                    ends_at: if a.resolved_at != 0 {
                        a.resolved_at
                    } else {
                        a.valid_until
                    },
                    generator_url: generator_url.clone(),
                })
                .collect();
            (ctx.notify)(out);
        }
        Ok(series)
    }

    /// Appends a rule's samples at `eval_ts`, and stale markers for the series its previous
    /// evaluation wrote and this one did not.
    fn write(&self, ctx: &EvalContext, rs: &mut RuleState, series: Vec<StateSample>, eval_ts: i64) {
        let mut app = (ctx.app)();
        let mut now = HashSet::with_capacity(series.len());
        for s in series {
            let pairs: Vec<(&str, &str)> = s
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            // Out of order or duplicate: another writer got there first; nothing to add.
            let _ = app.append_pairs(&pairs, eval_ts, s.value);
            now.insert(s.labels);
        }
        let stale = f64::from_bits(promql::STALE_NAN_BITS);
        for gone in rs.prev_series.difference(&now) {
            let pairs: Vec<(&str, &str)> =
                gone.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let _ = app.append_pairs(&pairs, eval_ts, stale);
        }
        rs.prev_series = now;
        if let Err(e) = app.commit() {
            warn!(group = %self.group.name, rule = %rs.name(), error = %e, "writing rule results failed");
        }
    }

    /// A removed group's series end: stale markers for everything its rules last wrote.
    pub fn mark_all_stale(&self, ctx: &EvalContext, ts: i64) {
        let offset = i64::try_from(self.query_offset.as_millis()).unwrap_or(0);
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for rs in rules.iter_mut() {
            self.write(ctx, rs, Vec::new(), ts - offset);
        }
    }

    /// Prometheus's `RestoreForState` at `ts`: pending alerts continue their `for` from the
    /// `ALERTS_FOR_STATE` written before a restart, then every alerting rule writes `ALERTS`.
    pub fn restore_for_state(&self, ctx: &EvalContext, ts: i64) {
        let tolerance = i64::try_from(ctx.outage_tolerance.as_millis()).unwrap_or(3_600_000);
        let grace = i64::try_from(ctx.grace_period.as_millis()).unwrap_or(600_000);
        let querier = match ctx.storage.querier(ts - tolerance, ts) {
            Ok(q) => q,
            Err(e) => {
                warn!(group = %self.group.name, error = %e, "restoring alert state");
                return;
            }
        };
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for rs in rules.iter_mut() {
            let RuleKind::Alerting { for_, .. } = &rs.rule.kind else {
                continue;
            };
            let hold = i64::try_from(for_.as_millis()).unwrap_or(i64::MAX);
            if hold < grace {
                rs.restored = true;
                continue;
            }
            for a in rs.alerts.active.values_mut() {
                if a.state != AlertState::Pending {
                    continue;
                }
                let mut matchers = vec![Matcher::equal("__name__", "ALERTS_FOR_STATE")];
                for (k, v) in &a.labels {
                    matchers.push(Matcher::equal(k.clone(), v.clone()));
                }
                let hints = SelectHints {
                    mint: ts - tolerance,
                    maxt: ts,
                    ..SelectHints::default()
                };
                let Ok(mut set) = querier.select(&hints, &matchers) else {
                    continue;
                };
                let mut last = None;
                while set.next() {
                    // Only the exact label set: more labels would be another alert.
                    if set.labels().len() != matchers.len() {
                        continue;
                    }
                    let mut it = set.iterator();
                    while it.next() {
                        last = Some(it.at());
                    }
                }
                if let Some((t, v)) = last
                    && let Some(at) = restored_active_at(ts, t, v, hold, grace)
                {
                    a.active_at = at;
                }
            }
            rs.restored = true;
        }
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
