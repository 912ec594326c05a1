// Command imagebuild assembles kbench's container image from static kbench
// binaries without a Docker daemon (scripts/image.sh runs it). The image has
// no base: one layer with the CA certificates, a passwd/group naming the
// non-root user and a writable home and /tmp, and one layer with the binary.
// It writes an OCI image layout (multi-platform when several binaries are
// given; `crane push`, `skopeo copy oci:DIR:TAG` and `podman load` read it)
// and a `docker load` tarball per platform.
//
//	imagebuild -ref ghcr.io/kbench/kbench:latest -binary linux/amd64=dist/kbench-linux-amd64 \
//	  -version v1.2.0 -revision $(git rev-parse HEAD) -oci out/oci -docker-dir out
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user and paths of the image. 65532 is the "nonroot" id distroless
// images use, so clusters that allow-list it accept kbench too.
const (
	uid        = 65532
	userName   = "nonroot"
	homeDir    = "/home/nonroot"
	binaryPath = "/usr/local/bin/kbench"
	caPath     = "/etc/ssl/certs/ca-certificates.crt"
)

type platformBinary struct {
	platform v1.Platform
	path     string
}

type options struct {
	ref       name.Tag
	binaries  []platformBinary
	caCerts   string
	version   string
	revision  string
	source    string
	created   time.Time
	ociDir    string
	dockerDir string
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild: "+err.Error())
		os.Exit(2)
	}
	if err := build(opts); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild: "+err.Error())
		os.Exit(1)
	}
}

type binaryFlag []platformBinary

func (b *binaryFlag) String() string { return fmt.Sprint(len(*b)) }

func (b *binaryFlag) Set(s string) error {
	plat, path, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want OS/ARCH=PATH, got %q", s)
	}
	p, err := v1.ParsePlatform(plat)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return fmt.Errorf("want OS/ARCH=PATH, got %q", s)
	}
	*b = append(*b, platformBinary{platform: *p, path: path})
	return nil
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	var o options
	var bins binaryFlag
	ref := fs.String("ref", "ghcr.io/kbench/kbench:latest", "image name and tag")
	fs.Var(&bins, "binary", "OS/ARCH=PATH of a static kbench binary (repeatable, one per platform)")
	fs.StringVar(&o.caCerts, "ca-certs", caPath, "PEM bundle of CA certificates to install at "+caPath)
	fs.StringVar(&o.version, "version", "dev", "org.opencontainers.image.version label")
	fs.StringVar(&o.revision, "revision", "unknown", "org.opencontainers.image.revision label")
	fs.StringVar(&o.source, "source", "https://github.com/kbench/kbench", "org.opencontainers.image.source label")
	created := fs.String("created", "0", "creation time, Unix seconds (the commit time keeps builds reproducible)")
	fs.StringVar(&o.ociDir, "oci", "", "directory to write the OCI image layout to (replaced)")
	fs.StringVar(&o.dockerDir, "docker-dir", "", "directory to write a `docker load` tarball per platform to")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(bins) == 0 {
		return nil, errors.New("-binary OS/ARCH=PATH is required")
	}
	if o.ociDir == "" && o.dockerDir == "" {
		return nil, errors.New("give -oci DIR, -docker-dir DIR or both")
	}
	t, err := name.NewTag(*ref, name.WeakValidation)
	if err != nil {
		return nil, fmt.Errorf("-ref: %w", err)
	}
	secs, err := strconv.ParseInt(*created, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("-created: want Unix seconds: %w", err)
	}
	o.ref, o.binaries, o.created = t, bins, time.Unix(secs, 0).UTC()
	return &o, nil
}

func build(o *options) error {
	ca, err := os.ReadFile(o.caCerts)
	if err != nil {
		return fmt.Errorf("CA certificates: %w", err)
	}
	base, err := baseLayer(ca, o.created)
	if err != nil {
		return err
	}
	var images []v1.Image
	for _, b := range o.binaries {
		img, err := platformImage(o, b, base)
		if err != nil {
			return fmt.Errorf("%s: %w", b.platform, err)
		}
		images = append(images, img)
		if o.dockerDir != "" {
			p := filepath.Join(o.dockerDir, fmt.Sprintf("image-%s-%s.tar", b.platform.OS, b.platform.Architecture))
			if err := tarball.WriteToFile(p, o.ref, img); err != nil {
				return fmt.Errorf("docker tarball %s: %w", p, err)
			}
			fmt.Println(p)
		}
	}
	if o.ociDir != "" {
		if err := writeLayout(o, images); err != nil {
			return fmt.Errorf("OCI layout %s: %w", o.ociDir, err)
		}
		fmt.Println(o.ociDir)
	}
	return nil
}

// platformImage is the base layer, the binary's layer and the config.
func platformImage(o *options, b platformBinary, base v1.Layer) (v1.Image, error) {
	bin, err := os.ReadFile(b.path)
	if err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	app, err := layer(o.created, []entry{
		{name: "usr/", dir: true, mode: 0o755},
		{name: "usr/local/", dir: true, mode: 0o755},
		{name: "usr/local/bin/", dir: true, mode: 0o755},
		{name: strings.TrimPrefix(binaryPath, "/"), mode: 0o755, body: bin},
	})
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, base, app)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = b.platform.OS, b.platform.Architecture, b.platform.Variant
	cf.Created = v1.Time{Time: o.created}
	cf.Config = v1.Config{
		Entrypoint: []string{binaryPath},
		User:       fmt.Sprintf("%d:%d", uid, uid),
		WorkingDir: homeDir,
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + homeDir},
		Labels:     labels(o),
	}
	return mutate.ConfigFile(img, cf)
}

func labels(o *options) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "kbench",
		"org.opencontainers.image.description": "Load-testing and keying-strategy benchmark for Apache Kafka",
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.revision,
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.created":     o.created.Format(time.RFC3339),
	}
}

// baseLayer holds what a static binary needs from an OS: CA certificates
// for TLS clusters, a passwd entry for the user (so the user has a name and
// a home) and writable /tmp and home directories.
func baseLayer(ca []byte, mtime time.Time) (v1.Layer, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", userName, uid, uid, userName, homeDir)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", userName, uid)
	return layer(mtime, []entry{
		{name: "etc/", dir: true, mode: 0o755},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/ssl/", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/", dir: true, mode: 0o755},
		{name: strings.TrimPrefix(caPath, "/"), mode: 0o644, body: ca},
		{name: "home/", dir: true, mode: 0o755},
		{name: strings.TrimPrefix(homeDir, "/") + "/", dir: true, mode: 0o700, owner: uid},
		{name: "tmp/", dir: true, mode: 0o1777},
	})
}

type entry struct {
	name  string
	dir   bool
	mode  int64
	owner int
	body  []byte
}

// layer writes entries into an uncompressed tar with fixed times and owners,
// so the same inputs always give the same layer digest.
func layer(mtime time.Time, entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.owner, Gid: e.owner, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// writeLayout writes the layout with one entry named by the tag: the image
// itself for one platform, a multi-platform index for several.
func writeLayout(o *options, images []v1.Image) error {
	if err := os.RemoveAll(o.ociDir); err != nil {
		return err
	}
	p, err := layout.Write(o.ociDir, empty.Index)
	if err != nil {
		return err
	}
	ann := layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.ref.TagStr(),
		"io.containerd.image.name":          o.ref.Name(),
	})
	if len(images) == 1 {
		return p.AppendImage(images[0], ann)
	}
	var adds []mutate.IndexAddendum
	for i, img := range images {
		plat := o.binaries[i].platform
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plat}})
	}
	return p.AppendIndex(mutate.AppendManifests(empty.Index, adds...), ann)
}
