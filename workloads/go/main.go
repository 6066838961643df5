// Command edgeapp is the Go workload of the lab: the same HTTP contract as
// workloads/node/app.js, built as a static binary, a Docker image and a Nanos
// image. Standard library only, so that it builds with any Go from 1.19 on
// (Debian's) up to the paper's 1.22.2 without a module download.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

const (
	// hashRounds is the paper's "100-iteration SHA-256 hashing loop".
	hashRounds = 100
	// maxBodyBytes bounds POST /compute; larger bodies get 413 so a client can
	// not make the app allocate without limit under a tight memory cap.
	maxBodyBytes = 2 << 20
	// builtinPayload is what GET /compute hashes, identical in both apps.
	builtinPayload = "unikernels-vs-containers:compute"
	ioBody         = "ok\n"
)

var startedAt = time.Now()

// chainedSHA256 returns the lowercase hex of h100 where h0 = payload and
// h(i+1) = SHA-256(h(i)) over the 32 raw digest bytes.
func chainedSHA256(payload []byte) string {
	digest := sha256.Sum256(payload)
	for i := 1; i < hashRounds; i++ {
		digest = sha256.Sum256(digest[:])
	}
	return hex.EncodeToString(digest[:])
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeText(w, http.StatusMethodNotAllowed, "method not allowed\n")
}

func handleIO(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, "GET")
		return
	}
	writeText(w, http.StatusOK, ioBody)
}

func handleCompute(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeText(w, http.StatusOK, chainedSHA256([]byte(builtinPayload))+"\n")
	case http.MethodPost:
		if r.ContentLength > maxBodyBytes {
			w.Header().Set("Connection", "close")
			writeText(w, http.StatusRequestEntityTooLarge, "body too large\n")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				w.Header().Set("Connection", "close")
				writeText(w, http.StatusRequestEntityTooLarge, "body too large\n")
				return
			}
			writeText(w, http.StatusBadRequest, "unreadable body\n")
			return
		}
		writeText(w, http.StatusOK, chainedSHA256(body)+"\n")
	default:
		methodNotAllowed(w, "GET, POST")
	}
}

func handleInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, "GET")
		return
	}
	body, err := json.Marshal(collectInfo())
	if err != nil {
		writeText(w, http.StatusInternalServerError, "info unavailable\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func router() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/io":
			handleIO(w, r)
		case "/compute":
			handleCompute(w, r)
		case "/info":
			handleInfo(w, r)
		default:
			writeText(w, http.StatusNotFound, "not found\n")
		}
	})
}

func listenPort() (int, error) {
	raw := os.Getenv("PORT")
	if raw == "" {
		return 8080, nil
	}
	port, err := strconv.Atoi(raw)
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("PORT=%q is not allowed: use an integer from 1 to 65535", raw)
	}
	return port, nil
}

func main() {
	port, err := listenPort()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	listener, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	server := &http.Server{Handler: router(), ReadHeaderTimeout: 10 * time.Second}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		// A benchmark stop must not wait for keep-alive clients to go away.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_ = server.Shutdown(ctx)
		os.Exit(0)
	}()

	ready, _ := json.Marshal(map[string]interface{}{
		"event": "ready", "runtime": "go", "version": runtime.Version(),
		"port": port, "time": time.Now().UTC().Format(time.RFC3339Nano),
	})
	fmt.Println(string(ready))
	if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	select {} // Serve returned because of Shutdown: the signal goroutine exits.
}
