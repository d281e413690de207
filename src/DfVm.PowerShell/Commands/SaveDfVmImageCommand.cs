using System;
using System.IO;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Images;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Downloads dfly-x86_64-&lt;version&gt;_REL.&lt;kind&gt;.bz2 into &lt;vm root&gt;/images/, resuming an
    /// interrupted download, checks its MD5, decompresses it and renames it into place when whole.
    /// A verified image already there is returned at once.
    /// </summary>
    [Cmdlet(VerbsData.Save, "DfVmImage", SupportsShouldProcess = true, DefaultParameterSetName = ReleaseSet)]
    [OutputType(typeof(DfVmImage))]
    public sealed class SaveDfVmImageCommand : DfVmCmdlet
    {
        private const string ReleaseSet = "Release";
        private const string UrlSet = "Url";

        [Parameter(Position = 0, ParameterSetName = ReleaseSet)]
        [ArgumentCompleter(typeof(VersionCompleter))]
        [ValidatePattern(@"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\z")]
        public string Version { get; set; }

        [Parameter(ParameterSetName = ReleaseSet)]
        public ImageKind Kind { get; set; } = ImageKind.Iso;

        /// <summary>The mirror folder holding the images and md5.txt.</summary>
        [Parameter(ParameterSetName = ReleaseSet)]
        [ValidateNotNull]
        public Uri Mirror { get; set; }

        /// <summary>A prebuilt image to fetch by URL (http or https; .xz, .zst, .bz2 and .gz are decompressed).</summary>
        [Parameter(Mandatory = true, ParameterSetName = UrlSet)]
        [ValidateNotNull]
        public Uri Uri { get; set; }

        /// <summary>The SHA-256 its publisher gives for the file at -Uri (as downloaded). Required with -Uri.</summary>
        [Parameter(Mandatory = true, ParameterSetName = UrlSet)]
        [ValidatePattern(@"^[0-9A-Fa-f]{64}\z")]
        public string Sha256 { get; set; }

        /// <summary>Download again even when the image is in the cache.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == UrlSet)
            {
                SaveFromUrl();
                return;
            }
            var config = Project.Config;
            string version = Version ?? config.DragonFlyVersion ?? DragonFlyRelease.DefaultVersion;
            string images = Path.Combine(Project.VmRoot, "images");
            string target = Path.Combine(images, DragonFlyRelease.ImageFileName(version, Kind));
            try { ImageRequest.ValidateMirror(Mirror); }
            catch (DfVmException e) { ThrowTerminating(e, Mirror); }
            if (!ShouldProcess(target, Force ? "Download the DragonFly image again" : "Download the DragonFly image unless it is cached")) return;

            ForEachItem(version, () =>
            {
                var request = new ImageRequest { Version = version, Kind = Kind, Mirror = Mirror, ImagesDirectory = images, Force = Force };
                var image = RunOnWorker(async (pump, ct) =>
                {
                    var progress = new DownloadProgressWriter(pump);
                    try
                    {
                        using (var downloader = new ImageDownloader())
                        {
                            var result = await downloader.SaveAsync(request, progress, ct).ConfigureAwait(false);
                            pump.Verbose(progress.Any
                                ? $"Saved {result.Path} ({DownloadProgressWriter.Size(result.SizeBytes)}, MD5 {result.Md5}, from {result.Source})."
                                : $"{Path.GetFileName(result.Path)} is in the cache (MD5 {result.Md5}, checked when it was saved).");
                            return result;
                        }
                    }
                    finally
                    {
                        progress.Complete();
                    }
                });
                WriteObject(image);
            });
        }

        private void SaveFromUrl()
        {
            string images = Path.Combine(Project.VmRoot, "images");
            if (!ShouldProcess(Uri.OriginalString, (Force ? "Download again" : "Download unless cached") + $" into {images}, SHA-256 {Sha256}")) return;
            ForEachItem(Uri.OriginalString, () =>
            {
                var request = new UrlImageRequest { Uri = Uri, Sha256 = Sha256, ImagesDirectory = images, Force = Force };
                var image = RunOnWorker(async (pump, ct) =>
                {
                    var progress = new DownloadProgressWriter(pump);
                    try
                    {
                        using (var downloader = new ImageDownloader())
                        {
                            var result = await downloader.SaveFromUrlAsync(request, progress, ct).ConfigureAwait(false);
                            pump.Verbose(progress.Any
                                ? $"Saved {result.Path} ({DownloadProgressWriter.Size(result.SizeBytes)}, SHA-256 of the download {result.Sha256}, from {result.Source})."
                                : $"{Path.GetFileName(result.Path)} is in the cache (SHA-256 {result.Sha256}, checked when it was saved).");
                            return result;
                        }
                    }
                    finally
                    {
                        progress.Complete();
                    }
                });
                WriteObject(image);
            });
        }
    }
}
