package mirror

import (
	"slices"

	"parley/internal/msg"
)

// An alarm's sentence comes from the message catalogue (package msg,
// catalogue/<lang>/alarm.json): Msg gives the code and the stored params,
// and each front end renders it in its reader's language.

// MessageKey returns the catalogue code of the alarm's message.
func (a Alarm) MessageKey() string {
	k := "alarm." + a.Kind
	switch {
	case a.Kind == KindEntryChanged && a.Params["held"] != "" && a.Params["index"] != "":
		k += ".held"
	case a.Kind == KindEntryChanged && a.Params["held"] != "":
		k += ".held_range"
	case a.Kind == KindEntryChanged && a.Params["from"] != "":
		k += ".range"
	case a.Kind == KindListHashMismatch && a.Params["row"] != "":
		k += ".row"
	case a.Kind == KindSignatureInvalid && a.Params["witness"] != "":
		k += ".cosignature"
	}
	return k
}

// Msg returns the alarm's message: what differs, with its params.
func (a Alarm) Msg() msg.Msg {
	keys := make([]string, 0, len(a.Params))
	for k := range a.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		kv = append(kv, k, a.Params[k])
	}
	return msg.New(a.MessageKey(), kv...)
}

// MessageKeys returns every catalogue code an alarm may use, for the test
// that the catalogues define them all.
func MessageKeys() []string {
	out := []string{
		"alarm.entry_changed.range", "alarm.list_hash_mismatch.row", "alarm.signature_invalid.cosignature",
		"alarm.entry_changed.held", "alarm.entry_changed.held_range",
	}
	for _, k := range Kinds {
		out = append(out, "alarm."+k)
	}
	return out
}
