package main

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// fsImmutable is the file attribute FS_IMMUTABLE_FL: nobody, root included,
// may open the file for writing while it is set.
const fsImmutable = 0x10

// makeReadOnly makes the file at path read-only until the test ends: its
// mode, and as root (whom modes do not bind) its immutable attribute. The
// test is skipped where neither can make it so.
func makeReadOnly(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(path, 0o600) })
	if os.Geteuid() != 0 {
		return
	}
	if err := setImmutable(path, true); err != nil {
		t.Skipf("running as root, where file modes do not bind, and the immutable attribute cannot be set: %v", err)
	}
	t.Cleanup(func() { restoreWritable(t, path) })
}

// restoreWritable undoes makeReadOnly at once (it is also undone when the
// test ends).
func restoreWritable(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() == 0 {
		if err := setImmutable(path, false); err != nil {
			t.Errorf("clear the immutable attribute of %s: %v", path, err)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Error(err)
	}
}

func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return err
	}
	if on {
		flags |= fsImmutable
	} else {
		flags &^= fsImmutable
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags))
}
