package mirror

// Alarm messages come from the catalogues: MessageKey names the text and
// Args gives its parameters in the order the text uses them (%[1]s, ...).
// The params are stored by name, so that a later text may use them in
// another order without touching stored alarms.

// alarmArgs lists, per message key, the params the text uses, in order.
var alarmArgs = map[string][]string{
	"alarm.fork":                          {"size", "root", "trusted_size", "trusted_root"},
	"alarm.truncated":                     {"size", "trusted_size"},
	"alarm.entry_changed":                 {"index", "got", "want"},
	"alarm.entry_changed.range":           {"from", "to", "size"},
	"alarm.entry_unsigned":                {"index", "type", "party"},
	"alarm.list_hash_mismatch":            {"list", "index", "logged", "served"},
	"alarm.list_hash_mismatch.row":        {"list", "index", "logged", "served", "row"},
	"alarm.split_view":                    {"peer", "size", "root", "our_size", "our_root"},
	"alarm.signature_invalid":             {"size", "key"},
	"alarm.signature_invalid.cosignature": {"size", "witness"},
}

// MessageKey returns the catalogue key of the alarm's message.
func (a Alarm) MessageKey() string {
	k := "alarm." + a.Kind
	switch {
	case a.Kind == KindEntryChanged && a.Params["from"] != "":
		k += ".range"
	case a.Kind == KindListHashMismatch && a.Params["row"] != "":
		k += ".row"
	case a.Kind == KindSignatureInvalid && a.Params["witness"] != "":
		k += ".cosignature"
	}
	return k
}

// Args returns the message's parameters in the order its text uses them.
func (a Alarm) Args() []any {
	names := alarmArgs[a.MessageKey()]
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = a.Params[n]
	}
	return out
}

// MessageKeys returns every catalogue key an alarm may use, for the test
// that the catalogues define them all.
func MessageKeys() []string {
	out := make([]string, 0, len(alarmArgs))
	for k := range alarmArgs {
		out = append(out, k)
	}
	return out
}
