// Package options holds berth's flag groups, as ko's pkg/commands/options
// does: each type is the flags one concern takes, with an AddFlags method
// that adds them to a command, and the small helpers that turn them into
// the libraries' options. Commands embed the groups they need and share
// them; a command never builds another command's options to reach a
// helper. The BERTH_* variables that set these flags' defaults are the one
// table in cmd/berth's root.go.
package options
