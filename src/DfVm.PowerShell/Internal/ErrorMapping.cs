using System;
using System.IO;
using System.Management.Automation;
using DfVm.Core;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Core exceptions to ErrorRecords. Every error the core raises for a user is a <see cref="DfVmException"/>
    /// that carries its id, kind and target from where it was raised: this is a plain mapping. The few
    /// framework exceptions a cmdlet can meet (file system, timeouts) get fixed ids of their own.
    /// </summary>
    internal static class ErrorMapping
    {
        public static bool IsExpected(Exception e) =>
            e is DfVmException || e is IOException || e is UnauthorizedAccessException || e is TimeoutException;

        public static ErrorRecord ToErrorRecord(Exception e, object target)
        {
            if (e is AggregateException agg && agg.InnerExceptions.Count == 1) e = agg.InnerException;
            if (e is DfVmException d) return new ErrorRecord(e, d.ErrorId, CategoryOf(d.Kind), d.Target ?? target);
            if (e is TimeoutException) return new ErrorRecord(e, "OperationTimeout", ErrorCategory.OperationTimeout, target);
            if (e is UnauthorizedAccessException) return new ErrorRecord(e, "PermissionDenied", ErrorCategory.PermissionDenied, target);
            if (e is IOException) return new ErrorRecord(e, "IOError", ErrorCategory.WriteError, target);
            return new ErrorRecord(e, "UnexpectedError", ErrorCategory.InvalidOperation, target);
        }

        private static ErrorCategory CategoryOf(DfVmErrorKind kind)
        {
            switch (kind)
            {
                case DfVmErrorKind.NotFound: return ErrorCategory.ObjectNotFound;
                case DfVmErrorKind.InvalidArgument: return ErrorCategory.InvalidArgument;
                case DfVmErrorKind.ConnectionError: return ErrorCategory.ConnectionError;
                case DfVmErrorKind.Timeout: return ErrorCategory.OperationTimeout;
                case DfVmErrorKind.Security: return ErrorCategory.SecurityError;
                case DfVmErrorKind.ResourceUnavailable: return ErrorCategory.ResourceUnavailable;
                case DfVmErrorKind.NotInstalled: return ErrorCategory.NotInstalled;
                case DfVmErrorKind.ResourceExists: return ErrorCategory.ResourceExists;
                case DfVmErrorKind.InvalidData: return ErrorCategory.InvalidData;
                case DfVmErrorKind.InvalidResult: return ErrorCategory.InvalidResult;
                case DfVmErrorKind.NotSupported: return ErrorCategory.NotImplemented;
                default: return ErrorCategory.InvalidOperation;
            }
        }
    }
}
