using DfVm.Core.Tests.Install;
using Xunit;

namespace DfVm.Core.Tests
{
    /// <summary>The decorator that nests a piece of work's progress under an outer activity (the sync inside a test run).</summary>
    public class NestedReporterTests
    {
        [Fact]
        public void ProgressWithoutParentIsPassedOnAsAChildOfTheOuterActivity()
        {
            var inner = new RecordingReporter();
            var nested = new NestedReporter(inner, ProgressActivities.TestRun);
            // a producer reuses one object for all its reports, as DfVmEngine.SyncProjectAsync does
            var sync = new OperationProgress { ActivityId = ProgressActivities.Sync, Activity = "Syncing", Status = "Scan" };
            nested.Progress(sync);
            sync.Status = "Send";
            sync.PercentComplete = 50;
            nested.Progress(sync);
            sync.Completed = true;
            nested.Progress(sync);

            Assert.Equal(3, inner.ProgressRecords.Count);
            Assert.All(inner.ProgressRecords, p =>
            {
                Assert.Equal(ProgressActivities.Sync, p.ActivityId);
                Assert.Equal(ProgressActivities.TestRun, p.ParentActivityId);
                Assert.Equal("Syncing", p.Activity);
            });
            Assert.Equal(new[] { "Scan", "Send", "Send" }, inner.ProgressRecords.ConvertAll(p => p.Status));
            Assert.Equal(new[] { -1, 50, 50 }, inner.ProgressRecords.ConvertAll(p => p.PercentComplete));
            Assert.Equal(new[] { false, false, true }, inner.ProgressRecords.ConvertAll(p => p.Completed));
            Assert.Equal(-1, sync.ParentActivityId); // the producer's own report is not changed
        }

        [Fact]
        public void AReportThatNamesItsParentKeepsIt()
        {
            var inner = new RecordingReporter();
            var wait = new OperationProgress { ActivityId = ProgressActivities.LockWait, ParentActivityId = ProgressActivities.Sync };
            new NestedReporter(inner, ProgressActivities.TestRun).Progress(wait);
            Assert.Equal(ProgressActivities.Sync, Assert.Single(inner.ProgressRecords).ParentActivityId);
        }

        [Fact]
        public void TheOuterActivitysOwnReportIsNeverItsOwnChild()
        {
            // PowerShell's ProgressRecord refuses a parent id equal to its own id
            var inner = new RecordingReporter();
            new NestedReporter(inner, ProgressActivities.TestRun).Progress(new OperationProgress { ActivityId = ProgressActivities.TestRun });
            Assert.Equal(-1, Assert.Single(inner.ProgressRecords).ParentActivityId);
        }

        [Fact]
        public void NestsUnderEachOuterLevel()
        {
            var inner = new RecordingReporter();
            var twice = new NestedReporter(new NestedReporter(inner, ProgressActivities.TestRun), ProgressActivities.Sync);
            twice.Progress(new OperationProgress { ActivityId = ProgressActivities.LockWait });
            twice.Progress(new OperationProgress { ActivityId = ProgressActivities.Sync });
            Assert.Equal(ProgressActivities.Sync, inner.ProgressRecords[0].ParentActivityId);
            Assert.Equal(ProgressActivities.TestRun, inner.ProgressRecords[1].ParentActivityId);
        }

        [Fact]
        public void EverythingElsePassesThrough()
        {
            var inner = new RecordingReporter();
            var nested = new NestedReporter(inner, ProgressActivities.TestRun);
            nested.Verbose("v");
            nested.Debug("d");
            nested.Warning("w");
            nested.Information("i");
            Assert.Equal(new[] { "v" }, inner.VerboseLines);
            Assert.Equal(new[] { "d" }, inner.DebugLines);
            Assert.Equal(new[] { "w" }, inner.Warnings);
            Assert.Equal(new[] { "i" }, inner.InformationLines);
        }
    }
}
