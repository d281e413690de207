using System;
using System.IO;
using System.Management.Automation;
using DfVm.Core;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Exceptions to ErrorRecords, the one way every cmdlet reports an error. Every error DfVm raises for a
    /// user (Core or cmdlet) is a <see cref="DfVmException"/> that carries its id (<see cref="ErrorIds"/>),
    /// kind, target and remedy from where it was raised: this is a plain mapping. The few framework
    /// exceptions a cmdlet can meet (file system, timeouts) get fixed ids of their own.
    /// </summary>
    internal static class ErrorMapping
    {
        public static bool IsExpected(Exception e) =>
            e is DfVmException || e is IOException || e is UnauthorizedAccessException || e is TimeoutException;

        public static ErrorRecord ToErrorRecord(Exception e, object target)
        {
            if (e is AggregateException agg && agg.InnerExceptions.Count == 1) e = agg.InnerException;
            if (e is DfVmException d) return FromDfVm(d, target);
            if (e is TimeoutException) return new ErrorRecord(e, ErrorIds.OperationTimeout, ErrorCategory.OperationTimeout, target);
            if (e is UnauthorizedAccessException) return new ErrorRecord(e, ErrorIds.PermissionDenied, ErrorCategory.PermissionDenied, target);
            if (e is IOException) return new ErrorRecord(e, ErrorIds.IOError, ErrorCategory.WriteError, target);
            return new ErrorRecord(e, ErrorIds.UnexpectedError, ErrorCategory.InvalidOperation, target);
        }

        private static ErrorRecord FromDfVm(DfVmException e, object target)
        {
            var record = new ErrorRecord(e, e.ErrorId, CategoryOf(e.Kind), e.Target ?? target);
            if (e.RecommendedAction != null)
            {
                // ErrorDetails.Message is what PowerShell shows: the exception's message, unchanged.
                record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = e.RecommendedAction };
            }
            return record;
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
