using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Sync;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Copies files and folders between the host and a VM's guest (-FromGuest or -ToGuest), folders
    /// recursively, modes and times kept, as one tar stream over the VM's SSH connection.
    /// </summary>
    [Cmdlet(VerbsCommon.Copy, "DfVmItem", SupportsShouldProcess = true, DefaultParameterSetName = FromGuestSet)]
    [OutputType(typeof(FileSystemInfo), ParameterSetName = new[] { FromGuestSet })]
    public sealed class CopyDfVmItemCommand : DfVmCmdlet
    {
        private const string FromGuestSet = "FromGuest";
        private const string ToGuestSet = "ToGuest";

        /// <summary>What to copy: absolute guest paths (-FromGuest; wildcards in the last part) or host paths (-ToGuest; wildcards allowed).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; }

        /// <summary>The folder to copy into: on the host for -FromGuest, in the guest for -ToGuest. Made when missing.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; }

        /// <summary>Copy from the guest to the host.</summary>
        [Parameter(Mandatory = true, ParameterSetName = FromGuestSet)]
        public SwitchParameter FromGuest { get; set; }

        /// <summary>Copy from the host into the guest.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ToGuestSet)]
        public SwitchParameter ToGuest { get; set; }

        /// <summary>-FromGuest: replace files and symlinks of the same name on the host (without it, an existing one is DestinationExists and nothing is copied).</summary>
        [Parameter(ParameterSetName = FromGuestSet)]
        public SwitchParameter Force { get; set; }

        /// <summary>Accepted as Copy-Item users type it; folders are always copied whole, so it changes nothing.</summary>
        [Parameter]
        public SwitchParameter Recurse { get; set; }

        /// <summary>The VM (default: the config's VM). A piped string binds here, and so does any object's VmName, else its Name.</summary>
        [Parameter(ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        protected override void ProcessRecord()
        {
            string name = Name ?? Project.Config.VmName;
            ForEachItem(name, () =>
            {
                var paths = Store.Require(name);
                if (FromGuest)
                {
                    string host = GetUnresolvedProviderPathFromPSPath(Destination);
                    foreach (string source in Path)
                    {
                        if (!source.StartsWith("/", StringComparison.Ordinal))
                        {
                            WriteError(ToErrorRecord(new DfVmException(ErrorIds.GuestPathNotFound, DfVmErrorKind.InvalidArgument, $"'{source}' is not an absolute guest path.", source)));
                            continue;
                        }
                        if (!ShouldProcess($"{name}:{source}", $"Copy to {host}")) continue;
                        ForEachItem(source, () =>
                        {
                            var items = RunOnWorker((pump, ct) => TransferProgress.RunAsync(pump, ProgressActivities.Copy, $"Copying {name}:{source} to {host}", TransferProgress.CopyStatus, async progress =>
                            {
                                var connection = await Controller.ConnectAsync(paths, pump, ct).ConfigureAwait(false);
                                return await new GuestCopier(connection, name).FromGuestAsync(source, host, Force, progress,
                                    skipped => pump.Warning($"{ErrorIds.CopySkippedEntry}: {name}:{source}: {skipped}"), ct).ConfigureAwait(false);
                            }));
                            foreach (string item in items)
                            {
                                var info = new FileInfo(item);
                                // A symlink is written as what it is (a FileInfo of the link), never as the folder it points to.
                                bool folder = (info.Attributes & FileAttributes.Directory) != 0 && (info.Attributes & FileAttributes.ReparsePoint) == 0;
                                WriteObject(folder ? new DirectoryInfo(item) : (FileSystemInfo)info);
                            }
                        });
                    }
                    return;
                }

                var hostItems = new List<string>();
                foreach (string source in Path)
                {
                    try
                    {
                        hostItems.AddRange(WildcardPattern.ContainsWildcardCharacters(source)
                            ? GetResolvedProviderPathFromPSPath(source, out ProviderInfo _)
                            : new System.Collections.ObjectModel.Collection<string> { GetUnresolvedProviderPathFromPSPath(source) });
                    }
                    catch (ItemNotFoundException e)
                    {
                        WriteError(ToErrorRecord(new DfVmException(ErrorIds.HostPathNotFound, DfVmErrorKind.NotFound, e.Message, source, e)));
                    }
                }
                if (hostItems.Count == 0) return;
                if (!ShouldProcess($"{name}:{Destination}", "Copy " + string.Join(", ", hostItems))) return;
                RunOnWorker((pump, ct) => TransferProgress.RunAsync(pump, ProgressActivities.Copy, $"Copying to {name}:{Destination}", TransferProgress.CopyStatus, async progress =>
                {
                    var connection = await Controller.ConnectAsync(paths, pump, ct).ConfigureAwait(false);
                    await new GuestCopier(connection, name).ToGuestAsync(hostItems, Destination, progress, ct).ConfigureAwait(false);
                    return true;
                }));
            });
        }
    }
}
