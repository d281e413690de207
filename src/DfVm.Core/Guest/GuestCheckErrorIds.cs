namespace DfVm.Core.Guest
{
    /// <summary>Stable error ids of the guest self-check (Test-DfVmGuest, the last step of Install-DfVm -Unattended).</summary>
    public static class GuestCheckErrorIds
    {
        /// <summary>One or more checks of the guest self-check failed; the message names them.</summary>
        public const string GuestSelfCheckFailed = nameof(GuestSelfCheckFailed);
    }
}
