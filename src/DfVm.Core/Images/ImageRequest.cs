using System;

namespace DfVm.Core.Images
{
    /// <summary>What <see cref="ImageDownloader.SaveAsync"/> should fetch and where to keep it.</summary>
    public sealed class ImageRequest
    {
        /// <summary>Release version, e.g. "6.4.0".</summary>
        public string Version { get; set; } = DragonFlyRelease.DefaultVersion;

        public ImageKind Kind { get; set; } = ImageKind.Iso;

        /// <summary>Mirror folder holding the images and md5.txt; null means the first default mirror.</summary>
        public Uri Mirror { get; set; }

        /// <summary>Folder where images are cached (created when missing).</summary>
        public string ImagesDirectory { get; set; }

        /// <summary>Fetch again even when a verified image is already cached.</summary>
        public bool Force { get; set; }

        /// <summary>Accept an image no checksum can be found for (the result has Verified = false).</summary>
        public bool AllowUnverified { get; set; }

        /// <summary>
        /// The one check of a mirror URL (Save-DfVmImage, Install-DfVm, the downloader): absolute http(s),
        /// else InvalidMirror. Null (the default mirrors) passes.
        /// </summary>
        public static void ValidateMirror(Uri mirror)
        {
            if (mirror == null) return;
            if (!mirror.IsAbsoluteUri || (mirror.Scheme != Uri.UriSchemeHttp && mirror.Scheme != Uri.UriSchemeHttps))
            {
                throw new DfVmException(ErrorIds.InvalidMirror, DfVmErrorKind.InvalidArgument,
                    $"-Mirror must be an http(s) URL of the folder holding the images and md5.txt, not '{mirror}'.", mirror.OriginalString);
            }
        }
    }
}
