// Package metrics holds Parley's Prometheus metrics. It imports nothing of
// Parley, so that any package (the service layer, matching, the signed log)
// can count what it does without an import cycle through the web server,
// which serves them at /metrics.
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every Parley metric and the Go runtime's. A registry of
// our own (not the global default) keeps tests that start several servers
// from registering twice.
var Registry = prometheus.NewRegistry()

var (
	// RequestDuration is the latency of HTTP requests by route pattern
	// (never the raw path, which would hold ids), method and status code.
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "parley_http_request_duration_seconds",
		Help:    "Latency of HTTP requests by route pattern, method and status.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "status"})

	// Imports counts list and registry imports by kind (list, registry)
	// and result (ok, refused, error).
	Imports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_imports_total",
		Help: "List and registry imports by kind and result.",
	}, []string{"kind", "result"})

	// MatchingRuns counts identity-matching runs by result.
	MatchingRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_matching_runs_total",
		Help: "Identity matching runs by result.",
	}, []string{"result"})

	// LogSize is the number of entries in the signed log.
	LogSize = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "parley_log_entries",
		Help: "Number of entries in the signed log.",
	})

	// NodeAlarms is the number of unacknowledged alarms of a party's node
	// by kind (fork, truncated, entry_changed, ...): anything above zero
	// means the hub's log contradicts what the node verified.
	NodeAlarms = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "parley_node_alarms",
		Help: "Unacknowledged alarms of the node's mirror of the hub's log, by kind.",
	}, []string{"kind"})

	// LoginFailures counts failed sign-ins by reason (credentials, locked).
	LoginFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_login_failures_total",
		Help: "Failed sign-ins by reason.",
	}, []string{"reason"})
)

var once sync.Once

func init() {
	once.Do(func() {
		Registry.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
			RequestDuration, Imports, MatchingRuns, LogSize, LoginFailures, NodeAlarms,
		)
	})
}

// ImportDone counts one import; kind is "list" or "registry", result
// "ok", "refused" (the file had problems) or "error".
func ImportDone(kind, result string) { Imports.WithLabelValues(kind, result).Inc() }

// MatchingRun counts one identity-matching run; result is "ok" or "error".
func MatchingRun(result string) { MatchingRuns.WithLabelValues(result).Inc() }

// SetLogSize records the size of the signed log.
func SetLogSize(n int64) { LogSize.Set(float64(n)) }

// SetNodeAlarms records the number of unacknowledged alarms of a kind.
func SetNodeAlarms(kind string, n int) { NodeAlarms.WithLabelValues(kind).Set(float64(n)) }

// Handler serves the metrics in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}
