using System;
using System.IO;
using System.Management.Automation;
using DfVm.Core.Images;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Downloads dfly-x86_64-&lt;version&gt;_REL.&lt;kind&gt;.bz2 into &lt;vm root&gt;/images/, resuming an
    /// interrupted download, checks its MD5, decompresses it and renames it into place when whole.
    /// A verified image already there is returned at once.
    /// </summary>
    [Cmdlet(VerbsData.Save, "DfVmImage", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmImage))]
    public sealed class SaveDfVmImageCommand : DfVmCmdlet
    {
        [Parameter(Position = 0)]
        [ArgumentCompleter(typeof(VersionCompleter))]
        [ValidatePattern(@"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\z")]
        public string Version { get; set; }

        [Parameter]
        public ImageKind Kind { get; set; } = ImageKind.Iso;

        /// <summary>The mirror folder holding the images and md5.txt.</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri Mirror { get; set; }

        /// <summary>Download again even when the image is in the cache.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var config = Project.Config;
            string version = Version ?? config.DragonFlyVersion ?? DragonFlyRelease.DefaultVersion;
            string images = Path.Combine(Project.VmRoot, "images");
            string target = Path.Combine(images, DragonFlyRelease.ImageFileName(version, Kind));
            if (Mirror != null && (!Mirror.IsAbsoluteUri || (Mirror.Scheme != Uri.UriSchemeHttp && Mirror.Scheme != Uri.UriSchemeHttps)))
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-Mirror must be an http(s) URL, not '{Mirror}'."),
                    "InvalidMirror", ErrorCategory.InvalidArgument, Mirror));
            }
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
    }
}
