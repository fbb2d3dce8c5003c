package fielderr

import (
	"errors"
	"testing"
)

func TestList(t *testing.T) {
	var l List
	if l.Err() != nil {
		t.Fatal("empty list is an error")
	}
	base := errors.New("boom")
	l.Add("output.Brokers", base)
	l.Addf("output.Topic", "bad %q", "x y")
	err := l.Err()
	if err == nil || err.Error() != `output.Brokers: boom; output.Topic: bad "x y"` {
		t.Fatalf("%v", err)
	}
	if !errors.Is(err, base) {
		t.Error("errors.Is does not see the wrapped error")
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Field != "output.Brokers" {
		t.Errorf("errors.As: %v", fe)
	}
}
