//! The scrape manager: turns `scrape_configs` into targets and scrapes each on its interval.
