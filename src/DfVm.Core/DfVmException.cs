using System;

namespace DfVm.Core
{
    /// <summary>What kind of failure: the cmdlets map it to an ErrorCategory.</summary>
    public enum DfVmErrorKind
    {
        InvalidOperation,
        NotFound,
        InvalidArgument,
        ConnectionError,
        Timeout,
        Security,
        ResourceUnavailable,
        NotInstalled,
        ResourceExists,
        InvalidData,
        /// <summary>The result of an operation is wrong (a checksum that does not match).</summary>
        InvalidResult,
        /// <summary>The host cannot do this at all (an operating system DfVm does not drive QEMU on).</summary>
        NotSupported,
    }

    /// <summary>
    /// Base of every failure that can reach a user (the QMP, sync, image, SSH and install errors derive
    /// from it). <see cref="ErrorId"/> is one of <see cref="ErrorIds"/> (never built from the message) and
    /// becomes the ErrorRecord's FullyQualifiedErrorId prefix; <see cref="Kind"/> becomes its category;
    /// <see cref="RecommendedAction"/>, when set, becomes its ErrorDetails.RecommendedAction. All are set
    /// where the error is raised: the cmdlets map them without looking at types or text.
    /// </summary>
    public class DfVmException : Exception
    {
        public DfVmException(string errorId, DfVmErrorKind kind, string message, string target = null, Exception inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        /// <summary>The stable id, one of <see cref="ErrorIds"/>.</summary>
        public string ErrorId { get; }
        public DfVmErrorKind Kind { get; }
        /// <summary>The VM (or file) the error is about.</summary>
        public string Target { get; }
        /// <summary>What the user can do about it, in one sentence (the message usually ends with it too); null when nothing clear can be said.</summary>
        public string RecommendedAction { get; set; }
    }
}
