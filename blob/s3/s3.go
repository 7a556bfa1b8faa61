// Package s3 is a blob.Store in an S3 bucket, AWS's or an S3-compatible
// server's (SeaweedFS, Ceph RGW, ...), through the AWS SDK for Go v2.
// Uploads stream through the SDK's transfer manager in parts of bounded
// size; downloads stream the object's body. It is also a blob.Multipart:
// MLflow's proxied multipart upload hands clients presigned part URLs.
package s3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	tm "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/berthml/berth/blob"
)

// Store is a blob.Store under one prefix of one bucket.
type Store struct {
	client   *s3.Client
	presign  *s3.PresignClient
	uploader *tm.Client
	bucket   string
	prefix   string // "" or without slashes around it
	opts     options
}

var (
	_ blob.Store     = (*Store)(nil)
	_ blob.Multipart = (*Store)(nil)
	_ blob.Locator   = (*Store)(nil)
)

// Defaults of Open's options.
const (
	DefaultPartSize      = 8 << 20 // bytes buffered per part of an upload
	DefaultConcurrency   = 4       // parts of one upload in flight
	DefaultPresignExpiry = time.Hour
	defaultRegion        = "us-east-1"
	openTimeout          = 30 * time.Second // for the bucket's first answer, retries included
)

type options struct {
	endpoint      string
	pathStyle     *bool
	region        string
	insecureTLS   bool
	accessKey     string
	secretKey     string
	partSize      int64
	concurrency   int
	presignExpiry time.Duration
	httpClient    *http.Client
}

// Option configures Open.
type Option func(*options)

// WithEndpoint sends requests to an S3-compatible server at url (what
// MLflow users set as MLFLOW_S3_ENDPOINT_URL) instead of AWS, and turns on
// path-style addressing unless WithPathStyle says otherwise. Default: AWS's
// endpoint for the region.
func WithEndpoint(url string) Option { return func(o *options) { o.endpoint = url } }

// WithPathStyle addresses buckets as https://host/bucket/key rather than
// https://bucket.host/key. Default: on with WithEndpoint, off for AWS.
func WithPathStyle(on bool) Option { return func(o *options) { o.pathStyle = &on } }

// WithRegion sets the bucket's region. Default: the SDK's (AWS_REGION,
// AWS_DEFAULT_REGION, the shared config's profile), else us-east-1.
func WithRegion(r string) Option { return func(o *options) { o.region = r } }

// WithInsecureTLS skips verifying the endpoint's TLS certificate (what
// MLFLOW_S3_IGNORE_TLS=true does for MLflow). Default: verify.
func WithInsecureTLS() Option { return func(o *options) { o.insecureTLS = true } }

// WithStaticCredentials signs with this access key instead of the SDK's
// credential chain (environment, shared config and credentials files,
// SSO, web identity, ECS and EC2 instance roles). Default: the chain.
func WithStaticCredentials(accessKey, secretKey string) Option {
	return func(o *options) { o.accessKey, o.secretKey = accessKey, secretKey }
}

// WithPartSize sets the size of the parts an upload is buffered and sent
// in (at least 5 MiB, S3's minimum). Memory per upload is about
// partSize × (concurrency+1). Default: DefaultPartSize.
func WithPartSize(n int64) Option { return func(o *options) { o.partSize = max(n, 5<<20) } }

// WithConcurrency sets how many parts of one upload are sent at once.
// Default: DefaultConcurrency.
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = max(n, 1) } }

// WithPresignExpiry sets how long the part URLs of a multipart upload stay
// valid. Default: DefaultPresignExpiry, as MLflow's.
func WithPresignExpiry(d time.Duration) Option { return func(o *options) { o.presignExpiry = d } }

// WithHTTPClient sets the HTTP client the SDK uses. Default: the SDK's
// (with WithInsecureTLS, one that skips certificate checks).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// Open returns the store at uri (s3://bucket/prefix), after checking that
// the bucket answers, so that a wrong bucket, endpoint or credential is
// reported at start rather than on the first upload.
func Open(ctx context.Context, uri string, opts ...Option) (*Store, error) {
	bucket, prefix, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	o := options{partSize: DefaultPartSize, concurrency: DefaultConcurrency, presignExpiry: DefaultPresignExpiry}
	for _, opt := range opts {
		opt(&o)
	}
	var load []func(*config.LoadOptions) error
	if o.region != "" {
		load = append(load, config.WithRegion(o.region))
	}
	if o.accessKey != "" {
		load = append(load, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.accessKey, o.secretKey, "")))
	}
	switch {
	case o.httpClient != nil:
		load = append(load, config.WithHTTPClient(o.httpClient))
	case o.insecureTLS:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for: MLFLOW_S3_IGNORE_TLS
		load = append(load, config.WithHTTPClient(&http.Client{Transport: tr}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	pathStyle := o.endpoint != ""
	if o.pathStyle != nil {
		pathStyle = *o.pathStyle
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.endpoint != "" {
			so.BaseEndpoint = aws.String(o.endpoint)
		}
		so.UsePathStyle = pathStyle
		// An object uploaded in parts (every artifact over a part's size)
		// has a checksum of its parts' checksums, which a GET cannot check:
		// the SDK would log a warning to stderr on each such download.
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	s := &Store{
		client: client,
		// A presigned URL carries no checksum of a body it has not seen.
		presign: s3.NewPresignClient(client, s3.WithPresignExpires(o.presignExpiry),
			s3.WithPresignClientFromClientOptions(func(so *s3.Options) {
				so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			})),
		uploader: tm.New(client, func(to *tm.Options) {
			to.PartSizeBytes = o.partSize
			to.MultipartUploadThreshold = o.partSize
			to.Concurrency = o.concurrency
		}),
		bucket: bucket, prefix: prefix, opts: o,
	}
	hctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	if _, err := client.HeadBucket(hctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, fmt.Errorf("checking bucket %s: %w", bucket, err)
	}
	return s, nil
}

// URI implements blob.Locator: s3://bucket/prefix.
func (s *Store) URI() string { return FormatURI(s.bucket, s.prefix) }

// key returns the object key of a clean artifact path ("" for the root).
func (s *Store) key(p string) string {
	switch {
	case s.prefix == "":
		return p
	case p == "":
		return s.prefix
	}
	return s.prefix + "/" + p
}

// dirKey is the key prefix of the objects under directory p.
func (s *Store) dirKey(p string) string {
	if k := s.key(p); k != "" {
		return k + "/"
	}
	return ""
}

// file cleans p and refuses the root, which is no file.
func file(p string) (string, error) {
	c, err := blob.CleanPath(p)
	if err != nil {
		return "", err
	}
	if c == "" {
		return "", fmt.Errorf("%w %q: names the root", blob.ErrInvalidPath, p)
	}
	return c, nil
}

// Put implements blob.Store. r is sent in parts of the configured size
// (one PutObject when it is smaller than a part), so memory stays bounded
// whatever its length.
func (s *Store) Put(ctx context.Context, p string, r io.Reader) error {
	c, err := file(p)
	if err != nil {
		return err
	}
	if _, err := s.uploader.UploadObject(ctx, &tm.UploadObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.key(c)), Body: r,
	}); err != nil {
		return fmt.Errorf("writing artifact %s: %w", p, err)
	}
	return nil
}

// Get implements blob.Store: the body streams from the bucket in one GET,
// its checksum checked by the SDK where the object has a whole-object one
// (a single-part upload). The reader is an io.WriterTo that copies through
// a pooled 1 MiB buffer, for io.Copy into the artifact proxy's answer.
func (s *Store) Get(ctx context.Context, p string) (io.ReadCloser, error) {
	c, err := file(p)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(c))})
	if err != nil {
		return nil, fmt.Errorf("reading artifact %s: %w", p, notExist(err))
	}
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	return &object{path: p, body: out.Body, size: size}, nil
}

// Delete implements blob.Store: the object at p and every object under
// p/, in batches of 1000.
func (s *Store) Delete(ctx context.Context, p string) error {
	c, err := file(p)
	if err != nil {
		return err
	}
	found := false
	if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(c))}); err == nil {
		found = true
		if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(c))}); err != nil {
			return fmt.Errorf("deleting artifact %s: %w", p, err)
		}
	} else if !errors.Is(notExist(err), fs.ErrNotExist) {
		return fmt.Errorf("deleting artifact %s: %w", p, err)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.dirKey(c))})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("deleting artifact %s: %w", p, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		found = true
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, obj := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: obj.Key}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(s.bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("deleting artifact %s: %w", p, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("deleting artifact %s: %s: %s %s", p, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	if !found {
		return fmt.Errorf("deleting artifact %s: %w", p, fs.ErrNotExist)
	}
	// A "dir/" marker object, as some tools and S3-compatible stores keep
	// for a directory (SeaweedFS lists an emptied directory until it goes).
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.dirKey(c))}); err != nil &&
		!errors.Is(notExist(err), fs.ErrNotExist) {
		return fmt.Errorf("deleting artifact %s: %w", p, err)
	}
	return nil
}

// List implements blob.Store. S3 has no directories: a directory is a key
// prefix that some object lies under, so an empty directory does not
// exist.
func (s *Store) List(ctx context.Context, dir string) ([]blob.FileInfo, error) {
	c, err := blob.CleanPath(dir)
	if err != nil {
		return nil, err
	}
	prefix := s.dirKey(c)
	var out []blob.FileInfo
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket),
		Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing artifacts %s: %w", dir, err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name != "" {
				out = append(out, blob.FileInfo{Path: name, IsDir: true})
			}
		}
		for _, obj := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(obj.Key), prefix)
			if name != "" && !strings.HasSuffix(name, "/") { // "dir/" marker objects are no files
				out = append(out, blob.FileInfo{Path: name, Size: aws.ToInt64(obj.Size)})
			}
		}
	}
	if len(out) == 0 && c != "" {
		_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(c))})
		if err == nil {
			return nil, fmt.Errorf("listing artifacts %s: %w", dir, blob.ErrNotDir)
		}
		if err = notExist(err); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("listing artifacts %s: %w", dir, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("listing artifacts %s: %w", dir, err)
	}
	slices.SortFunc(out, func(a, b blob.FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// notExist wraps fs.ErrNotExist into S3's answers for a missing key.
func notExist(err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) || apiCode(err) == "NoSuchKey" || apiCode(err) == "NotFound" {
		return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return err
}

// apiCode is the error code of an S3 error answer, "" for other errors.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
