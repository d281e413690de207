// Package warm is compiled and vetted once by build-guest.sh (on the host, with the guest's
// GOROOT) so that root's Go build cache in the image already holds the vet facts and
// archives of the commonly used standard packages: the first `go test` in a fresh guest
// then only compiles the project's own code (everything is slow under TCG).
package warm

import (
	_ "bufio"
	_ "bytes"
	_ "context"
	_ "encoding/json"
	_ "errors"
	_ "flag"
	_ "fmt"
	_ "io"
	_ "io/fs"
	_ "net"
	_ "os"
	_ "os/exec"
	_ "os/signal"
	_ "os/user"
	_ "path/filepath"
	_ "regexp"
	_ "sort"
	_ "strconv"
	_ "strings"
	_ "sync"
	_ "syscall"
	"testing"
	_ "time"
)

func TestWarm(t *testing.T) {}
