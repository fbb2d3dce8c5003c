// Package output writes messages to Kafka: one synchronous, acknowledged
// write per flush, routed by severity (topics_by_severity), keyed
// (message_key), with headers (severity, cluster, format_version...),
// compressed at the configured level, over TLS and SASL, with broker errors
// classified into what to retry and what to give up on (Undeliverable: the
// pipeline dead-letters those).
//
// The writer encodes Kafka record batches itself and sends them with
// kafka-go's Client.RawProduce, keeping kafka-go's Transport: kafka-go's own
// Writer compresses through a process-wide codec table, so a level could
// only be set by changing a library global shared by every instance. gzip,
// snappy and lz4 go through kafka-go's (and pierrec's) codecs; zstd
// compresses each batch with one EncodeAll of klauspost's encoder (pooled,
// one per concurrent flush), with a 1 MB window (an encoder holds about 5 MB
// instead of 19 MB) and without zstd's optional content checksum, as
// librdkafka writes them: the record batch's CRC-32C covers the bytes.
//
// Config is the writer's configuration; Validate names the fields it
// rejects, and conf maps them to properties.
package output
