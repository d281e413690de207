using System.Collections.Generic;
using DfVm.Core.Instances;

namespace DfVm.Core.Install
{
    /// <summary>
    /// Which phases an unattended install runs, each with its PFI disc and boot. DragonFly's own is
    /// <see cref="DragonFlyInstallPlan.Phases"/>; tests give a plan of their own to the
    /// <see cref="UnattendedInstaller"/> constructor.
    /// </summary>
    public interface IInstallPlan
    {
        /// <summary>True when the phases boot the installer ISO, which a VM that boots a kernel directly cannot do.</summary>
        bool BootsInstallerIso { get; }

        IReadOnlyList<PlannedPhase> Build(string isoPath, string authorizedKey, VmPaths paths, VmDefinition def, UnattendedInstallOptions options);
    }
}
