// Package browser drives a headless chromium over the DevTools protocol,
// spoken on the pipe chromium opens with --remote-debugging-pipe (file
// descriptors 3 and 4, messages separated by NUL bytes): no WebSocket, no
// library, no port. The e2e tests render the topology diagrams with it,
// using Mermaid's own browser bundle.
package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Browser is a running headless chromium with one page.
type Browser struct {
	cmd     *exec.Cmd
	send    *os.File // chromium's fd 3: commands
	recv    *os.File // chromium's fd 4: responses and events
	reader  *bufio.Reader
	next    int
	session string
	dir     string
	stderr  lockedBuffer
}

// Start starts chromium (the path of its binary or launcher) headless,
// with a profile in a temporary directory, and opens a blank page.
func Start(ctx context.Context, chromium string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "telepace-chromium-")
	if err != nil {
		return nil, err
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	b := &Browser{send: cmdW, recv: outR, reader: bufio.NewReader(outR), dir: dir}
	b.cmd = exec.Command(chromium,
		"--headless", "--remote-debugging-pipe", "--user-data-dir="+dir,
		// Root has no sandbox; the page is a local file the test wrote.
		"--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--hide-scrollbars", "--mute-audio", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, outW}
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", chromium, err)
	}
	cmdR.Close()
	outW.Close()
	var target struct{ TargetID string }
	if err := b.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.Close()
		return nil, err
	}
	var attached struct{ SessionID string }
	if err := b.call(ctx, "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		b.Close()
		return nil, err
	}
	b.session = attached.SessionID
	return b, nil
}

// Version returns the browser's product and version, such as
// "Chrome/150.0.7871.100".
func (b *Browser) Version(ctx context.Context) (string, error) {
	var v struct{ Product string }
	saved := b.session
	b.session = ""
	defer func() { b.session = saved }()
	err := b.call(ctx, "Browser.getVersion", nil, &v)
	return v.Product, err
}

// Evaluate runs a JavaScript expression in the page, awaiting the promise
// it returns, and decodes its value (JSON-serialisable) into out.
func (b *Browser) Evaluate(ctx context.Context, expression string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage
		}
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	if err := b.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expression, "awaitPromise": true, "returnByValue": true,
	}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("%s %s", e.Text, e.Exception.Description)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// Screenshot returns a PNG of the page's top left width × height CSS
// pixels, the viewport resized to them first.
func (b *Browser) Screenshot(ctx context.Context, width, height int) ([]byte, error) {
	if err := b.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
	}, nil); err != nil {
		return nil, err
	}
	var shot struct{ Data string }
	if err := b.call(ctx, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
	}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// Close stops chromium and removes its profile.
func (b *Browser) Close() error {
	b.send.Close()
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
	b.recv.Close()
	return os.RemoveAll(b.dir)
}

// Stderr is what chromium wrote to its standard error so far.
func (b *Browser) Stderr() string { return b.stderr.String() }

// call sends one command and decodes its result into out, skipping the
// events that arrive before it.
func (b *Browser) call(ctx context.Context, method string, params any, out any) error {
	b.next++
	msg := map[string]any{"id": b.next, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.send.Write(append(raw, 0)); err != nil {
		return fmt.Errorf("%s: writing to chromium: %w (its stderr: %s)", method, err, b.tail())
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	if err := b.recv.SetReadDeadline(deadline); err != nil {
		return err
	}
	for {
		line, err := b.reader.ReadBytes(0)
		if err != nil {
			return fmt.Errorf("%s: reading from chromium: %w (its stderr: %s)", method, err, b.tail())
		}
		var resp struct {
			ID     int
			Result json.RawMessage
			Error  *struct {
				Code    int
				Message string
			}
		}
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte{0}), &resp); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if resp.ID != b.next {
			continue // an event, or a late answer
		}
		if resp.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, resp.Error.Message, resp.Error.Code)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(resp.Result, out)
	}
}

// tail is the end of chromium's stderr, for error messages.
func (b *Browser) tail() string {
	s := strings.TrimSpace(b.stderr.String())
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// lockedBuffer is a bytes.Buffer safe to write from exec's copying
// goroutine while it is read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
