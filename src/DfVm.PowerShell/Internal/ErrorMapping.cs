using System;
using System.IO;
using System.Management.Automation;
using DfVm.Core;

namespace DfVm.PowerShell
{
    /// <summary>Core exceptions to ErrorRecords. The id comes from the exception's ErrorId, never from its text.</summary>
    internal static class ErrorMapping
    {
        public static bool IsExpected(Exception e) =>
            e is DfVmException || ErrorIdOf(e) != null || e is IOException || e is UnauthorizedAccessException || e is TimeoutException;

        public static ErrorRecord ToErrorRecord(Exception e, object target)
        {
            if (e is AggregateException agg && agg.InnerExceptions.Count == 1) e = agg.InnerException;
            string id = ErrorIdOf(e) ?? (e is TimeoutException ? "OperationTimeout" : e is IOException ? "IOError" : "UnexpectedError");
            var category = CategoryOf(e);
            object t = (e as DfVmException)?.Target ?? target;
            return new ErrorRecord(e, id, category, t);
        }

        /// <summary>ErrorId of a DfVmException, or of any core exception that carries an ErrorId property.</summary>
        public static string ErrorIdOf(Exception e)
        {
            if (e is DfVmException d) return d.ErrorId;
            var prop = e.GetType().GetProperty("ErrorId");
            return prop?.PropertyType == typeof(string) ? prop.GetValue(e) as string : null;
        }

        private static ErrorCategory CategoryOf(Exception e)
        {
            if (e is DfVmException d)
            {
                switch (d.Kind)
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
                    default: return ErrorCategory.InvalidOperation;
                }
            }
            if (e is Core.Ssh.GuestConnectionLostException) return ErrorCategory.ConnectionError;
            string id = ErrorIdOf(e) ?? "";
            if (id.Contains("Timeout")) return ErrorCategory.OperationTimeout;
            if (id.Contains("NotFound")) return ErrorCategory.ObjectNotFound;
            if (id.Contains("Checksum")) return ErrorCategory.InvalidResult;
            if (id.Contains("Disconnected") || id.Contains("Download")) return ErrorCategory.ConnectionError;
            if (e is TimeoutException) return ErrorCategory.OperationTimeout;
            if (e is UnauthorizedAccessException) return ErrorCategory.PermissionDenied;
            if (e is IOException) return ErrorCategory.WriteError;
            return ErrorCategory.InvalidOperation;
        }
    }
}
