// Command kube-audit-kafka replays JSON-lines audit logs through the plugin's
// very pipeline: the lines are packed into Fluent Bit chunks exactly as the
// tail input hands them to an output, then decoded, enriched and shipped to
// Kafka — an embedded broker on 127.0.0.1 when no brokers are given, read back
// by a real consumer. See docs/command.md.
package main
