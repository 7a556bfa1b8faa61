package s3

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/berthml/berth/blob"
)

// CreateMultipart implements blob.Multipart: S3's CreateMultipartUpload,
// and one presigned UploadPart URL per part, valid for the configured
// expiry. Clients PUT the parts to the bucket directly.
func (s *Store) CreateMultipart(ctx context.Context, p string, numParts int) (*blob.Upload, error) {
	c, err := file(p)
	if err != nil {
		return nil, err
	}
	if numParts < 1 || numParts > blob.MaxParts {
		return nil, fmt.Errorf("%w: %d parts, want 1 to %d", blob.ErrInvalidUpload, numParts, blob.MaxParts)
	}
	key := s.key(c)
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}, noChecksums)
	if err != nil {
		return nil, fmt.Errorf("starting a multipart upload of %s: %w", p, err)
	}
	up := &blob.Upload{ID: aws.ToString(out.UploadId), Parts: make([]blob.PartURL, numParts)}
	for i := range numParts {
		req, err := s.presign.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(s.bucket), Key: aws.String(key),
			UploadId: out.UploadId, PartNumber: aws.Int32(int32(i + 1))})
		if err != nil {
			_ = s.AbortMultipart(context.WithoutCancel(ctx), p, up.ID)
			return nil, fmt.Errorf("presigning part %d of %s: %w", i+1, p, err)
		}
		up.Parts[i] = blob.PartURL{Number: i + 1, URL: req.URL, Headers: partHeaders(req.SignedHeader)}
	}
	return up, nil
}

// noChecksums keeps the SDK from asking for checksums on an upload whose
// parts clients send without any (a presigned URL carries none).
func noChecksums(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

// partHeaders are the signed headers a client must send with a part, but
// Host, which its HTTP library sets from the URL.
func partHeaders(h http.Header) map[string]string {
	var m map[string]string
	for k, v := range h {
		if http.CanonicalHeaderKey(k) == "Host" || len(v) == 0 {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = v[0]
	}
	return m
}

// CompleteMultipart implements blob.Multipart.
func (s *Store) CompleteMultipart(ctx context.Context, p, uploadID string, parts []blob.Part) error {
	c, err := file(p)
	if err != nil {
		return err
	}
	sorted := slices.Clone(parts)
	slices.SortFunc(sorted, func(a, b blob.Part) int { return a.Number - b.Number })
	done := make([]types.CompletedPart, len(sorted))
	for i, part := range sorted {
		if i > 0 && part.Number == sorted[i-1].Number {
			return fmt.Errorf("%w: part %d given twice", blob.ErrInvalidUpload, part.Number)
		}
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(part.Number)), ETag: aws.String(part.ETag)}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(s.bucket),
		Key: aws.String(s.key(c)), UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}, noChecksums)
	if err != nil {
		return fmt.Errorf("completing the multipart upload of %s: %w", p, uploadErr(err))
	}
	return nil
}

// AbortMultipart implements blob.Multipart.
func (s *Store) AbortMultipart(ctx context.Context, p, uploadID string) error {
	c, err := file(p)
	if err != nil {
		return err
	}
	_, err = s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket),
		Key: aws.String(s.key(c)), UploadId: aws.String(uploadID)})
	if err != nil {
		return fmt.Errorf("aborting the multipart upload of %s: %w", p, uploadErr(err))
	}
	return nil
}

// uploadErr marks S3's refusals of an upload id or of the parts as the
// client's mistake.
func uploadErr(err error) error {
	switch apiCode(err) {
	case "NoSuchUpload", "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML", "InvalidArgument":
		return fmt.Errorf("%w: %w", blob.ErrInvalidUpload, err)
	}
	return err
}
