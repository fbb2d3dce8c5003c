// Package metrics serves Prometheus metrics and a health check for plugin
// instances. Counters are read from each instance's pipeline.Stats at scrape
// time, so a flush pays nothing for them. Several instances of one Fluent Bit
// may share a Server (one listen address): each instance's series carry its
// name in the plugin_instance label (as in its log lines) and Fluent Bit's
// name for the output in the name label, so they join Fluent Bit's own
// fluentbit_output_* series.
//
// Series by reason, cause and severity exist at 0 from the start, so that
// increase() and rate() see the first event.
package metrics
