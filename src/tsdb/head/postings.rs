//! The head's inverted index: label pair → series ids, kept in roaring bitmaps.

use crate::tsdb::postings::PostingsSource;
use promql::Labels;
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::sync::RwLock;

/// Postings of the in-memory series. Writers are series creation and garbage collection;
/// readers are queries.
#[derive(Debug, Default)]
pub struct MemPostings {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_name: HashMap<String, HashMap<String, RoaringBitmap>>,
    all: RoaringBitmap,
}

impl MemPostings {
    pub fn add(&self, id: u32, labels: &Labels) {
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        for l in labels {
            g.by_name
                .entry(l.name.clone())
                .or_default()
                .entry(l.value.clone())
                .or_default()
                .insert(id);
        }
        g.all.insert(id);
    }

    pub fn remove(&self, id: u32, labels: &Labels) {
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        for l in labels {
            if let Some(values) = g.by_name.get_mut(&l.name) {
                if let Some(bm) = values.get_mut(&l.value) {
                    bm.remove(id);
                    if bm.is_empty() {
                        values.remove(&l.value);
                    }
                }
                if values.is_empty() {
                    g.by_name.remove(&l.name);
                }
            }
        }
        g.all.remove(id);
    }

    /// Label names carried by any series of `selected`, sorted.
    pub fn label_names_of(&self, selected: &RoaringBitmap) -> Vec<String> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = g
            .by_name
            .iter()
            .filter(|(_, values)| values.values().any(|bm| !bm.is_disjoint(selected)))
            .map(|(n, _)| n.clone())
            .collect();
        v.sort();
        v
    }

    /// Values of label `name` carried by any series of `selected`, sorted.
    pub fn label_values_of(&self, name: &str, selected: &RoaringBitmap) -> Vec<String> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = g
            .by_name
            .get(name)
            .into_iter()
            .flat_map(|values| values.iter())
            .filter(|(_, bm)| !bm.is_disjoint(selected))
            .map(|(v, _)| v.clone())
            .collect();
        v.sort();
        v
    }

    /// Calls `f` with every label name and its values' postings, under one read lock (so
    /// series creation waits until it returns: keep `f` cheap).
    pub fn for_each_name(&self, mut f: impl FnMut(&str, &HashMap<String, RoaringBitmap>)) {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        for (name, values) in &g.by_name {
            f(name, values);
        }
    }

    pub fn label_names(&self) -> Vec<String> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = g.by_name.keys().cloned().collect();
        v.sort();
        v
    }
}

impl PostingsSource for MemPostings {
    fn postings(&self, name: &str, value: &str) -> RoaringBitmap {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.by_name
            .get(name)
            .and_then(|m| m.get(value))
            .cloned()
            .unwrap_or_default()
    }

    fn label_values(&self, name: &str) -> Vec<String> {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.by_name
            .get(name)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn all_postings(&self) -> RoaringBitmap {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.all.clone()
    }
}
