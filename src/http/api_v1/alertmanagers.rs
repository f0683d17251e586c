//! `/api/v1/alertmanagers`: the Alertmanagers the notifier sends to, and those relabeling
//! dropped, in Prometheus 3's shape.

use super::{ApiError, Reply};
use crate::notifier::Notifier;
use serde_json::{Value, json};

/// Without a notifier (none configured yet) both lists are empty, as in a Prometheus with no
/// `alerting` section.
pub(super) fn alertmanagers(notifier: Option<&Notifier>) -> Result<Reply, ApiError> {
    Ok(Reply::json(body(notifier)))
}

fn body(notifier: Option<&Notifier>) -> Value {
    let (active, dropped) = notifier.map(Notifier::alertmanagers).unwrap_or_default();
    let urls =
        |v: Vec<String>| -> Vec<Value> { v.into_iter().map(|url| json!({"url": url})).collect() };
    json!({
        "activeAlertmanagers": urls(active),
        "droppedAlertmanagers": urls(dropped),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifier::{NotifierMetrics, NotifierOptions};
    use std::sync::Arc;

    #[test]
    fn lists_active_and_dropped_urls() {
        assert_eq!(
            body(None),
            json!({"activeAlertmanagers": [], "droppedAlertmanagers": []})
        );
        let n = Notifier::new(
            NotifierOptions::default(),
            Arc::new(NotifierMetrics::default()),
        );
        let yaml = "alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['127.0.0.1:9093', 'other:9093']}]\n      relabel_configs:\n        - {source_labels: [__address__], regex: 'other:.*', action: drop}\n";
        let cfg = crate::promconfig::parse(yaml, std::path::Path::new("/")).expect("config");
        // Outside a runtime nothing is sent; the Alertmanagers are still resolved.
        n.apply_config(&cfg).expect("applies");
        assert_eq!(
            body(Some(&n)),
            json!({
                "activeAlertmanagers": [{"url": "http://127.0.0.1:9093/api/v2/alerts"}],
                "droppedAlertmanagers": [{"url": "http://other:9093/api/v2/alerts"}],
            })
        );
    }
}
