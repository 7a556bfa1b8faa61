// Package deploy holds what runs beside berth in production, as files
// rather than Go code: Prometheus alerting rules and an example scrape
// configuration (prometheus/), and a Grafana dashboard (grafana/). Its
// tests check them with promtool, check that the dashboard and the rules
// use only metrics berth exports, and fire the drift alerts end to end
// against a real Prometheus scraping a real scoring server.
package deploy
